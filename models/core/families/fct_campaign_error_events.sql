{{ hookhouse.family_events('campaign_error') }}
