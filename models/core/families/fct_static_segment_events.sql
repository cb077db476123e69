{{ hookhouse.family_events('static_segment') }}
