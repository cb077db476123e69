{{ hookhouse.campaign_metrics(['account_id', 'campaign_id', 'channel', 'event_day']) }}
