{#- How each campaign did on each channel. The totals are the sums of campaign_daily (event
    counts add up across days); the unique columns count the recipients of
    intermediate.int_campaign_recipients (distinct recipients do not add up across days).
    Both inputs are incremental, so this small table is rebuilt whole every run. -#}
with

daily_totals as (
    select
        account_id,
        campaign_id,
        channel,
        sum(sent) as sent,
        sum(delivered) as delivered,
        sum(undelivered) as undelivered,
        sum(hard_bounces) as hard_bounces,
        sum(soft_bounces) as soft_bounces,
        sum(suppressed) as suppressed,
        sum(opens) as opens,
        sum(clicks) as clicks,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        max(built_through_batch) as built_through_batch
    from {{ ref('campaign_daily') }}
    group by account_id, campaign_id, channel
),

recipients as (
    select
        account_id,
        campaign_id,
        channel,
        count(first_opened_at) as unique_opens,
        count(first_clicked_at) as unique_clicks,
        count(first_read_at) as reads,
        count(first_skimmed_at) as skims,
        count(first_glanced_at) as glances,
        count(first_unsubscribed_at) as unsubscribes,
        count(first_complained_at) as complaints
    from {{ ref('int_campaign_recipients') }}
    group by account_id, campaign_id, channel
),

counted as (
    select
        daily_totals.account_id,
        daily_totals.campaign_id,
        daily_totals.channel,
        cast(daily_totals.sent as bigint) as sent,
        cast(daily_totals.delivered as bigint) as delivered,
        cast(daily_totals.undelivered as bigint) as undelivered,
        cast(daily_totals.hard_bounces as bigint) as hard_bounces,
        cast(daily_totals.soft_bounces as bigint) as soft_bounces,
        cast(daily_totals.suppressed as bigint) as suppressed,
        cast(daily_totals.opens as bigint) as opens,
        coalesce(recipients.unique_opens, 0) as unique_opens,
        cast(daily_totals.clicks as bigint) as clicks,
        coalesce(recipients.unique_clicks, 0) as unique_clicks,
        coalesce(recipients.reads, 0) as reads,
        coalesce(recipients.skims, 0) as skims,
        coalesce(recipients.glances, 0) as glances,
        coalesce(recipients.unsubscribes, 0) as unsubscribes,
        coalesce(recipients.complaints, 0) as complaints,
        daily_totals.first_event_at,
        daily_totals.last_event_at,
        daily_totals.built_through_batch
    from daily_totals
    left join recipients
        on daily_totals.account_id = recipients.account_id
        and daily_totals.campaign_id = recipients.campaign_id
        and daily_totals.channel = recipients.channel
),

final as (
    select
        account_id,
        campaign_id,
        channel,
        {{ hookhouse.campaign_funnel_columns() }},
        built_through_batch
    from counted
)

select * from final
