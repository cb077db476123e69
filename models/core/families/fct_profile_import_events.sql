{{ hookhouse.family_events('profile_import') }}
