{{ hookhouse.family_events('api_unsubscribe') }}
