{{ hookhouse.family_events('push') }}
