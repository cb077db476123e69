{{ hookhouse.family_events('campaign_audience') }}
