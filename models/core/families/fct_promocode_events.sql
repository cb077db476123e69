{{ hookhouse.family_events('promocode') }}
