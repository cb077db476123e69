{{ hookhouse.family_events('viber') }}
