{{ hookhouse.family_events('notify') }}
