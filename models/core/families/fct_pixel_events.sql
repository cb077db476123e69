{{ hookhouse.family_events('pixel') }}
