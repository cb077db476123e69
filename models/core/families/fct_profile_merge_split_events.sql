{{ hookhouse.family_events('profile_merge_split') }}
