{{ hookhouse.family_events('gcg') }}
