{{ hookhouse.family_events('email') }}
