{{ hookhouse.rebuilt_by_day_config() }}
{#- The funnel per UTC day. Incremental: a run recomputes whole the days that received new
    events (the days `hookhouse run` names; by hand, the newest `lookback_days`) and replaces
    them, so the distinct counts of a day stay exact and the cost follows the new days. -#}
{{ hookhouse.campaign_metrics(
    ['account_id', 'campaign_id', 'channel', 'event_day'],
    hookhouse.scan_days_filter('event_day') if is_incremental() else '1 = 1',
) }}
