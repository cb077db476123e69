{{ hookhouse.family_events('popup') }}
