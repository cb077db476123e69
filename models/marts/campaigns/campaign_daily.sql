{{ hookhouse.rebuilt_by_day_config() }}
{#- The funnel per UTC day. Incremental: a run recomputes whole the days that received new
    events (or that a backfill rebuilt) and replaces them, so the distinct counts of a day
    stay exact and the cost follows the new days. -#}
{{ hookhouse.campaign_metrics(
    ['account_id', 'campaign_id', 'channel', 'event_day'],
    hookhouse.days_with_new_events(ref('hook_events')),
) }}
