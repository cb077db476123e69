{{ hookhouse.family_events('loyalty') }}
