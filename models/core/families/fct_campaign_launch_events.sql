{{ hookhouse.family_events('campaign_launch') }}
