{#- One row per (account_id, recipient) with messaging events: when it was last sent to and
    last engaged, its sends, opens and clicks over the 30 and 90 days ending on `as_of_day`,
    and an engagement tier. Read from intermediate.int_recipient_engagement_daily (one row
    per recipient and day), never from the events: the windows slide every day, so every
    row changes nightly, but the work is one pass over the small daily table. Definitions
    in _marts__engagement.md and DECISIONLOG.md. -#}
with

daily as (
    select * from {{ ref('int_recipient_engagement_daily') }}
),

as_of as (
    -- The last UTC day with any (non-test) event in the warehouse, of the events not dated
    -- after the day after their batch arrived: a sender's clock set years ahead (one event
    -- of 9999-12-31) must not make every recipient dormant. The day after allows for a
    -- sender's clock a little fast; ingested_at is in bronze, so a rebuild agrees.
    select max(event_day) as as_of_day
    from {{ ref('hook_events') }}
    where
        not is_test
        and event_day <= {{ dbt.dateadd('day', 1, 'cast(ingested_at as date)') }}
),

windowed as (
    select
        daily.*,
        as_of.as_of_day,
        daily.event_day >= {{ dbt.dateadd('day', -29, 'as_of.as_of_day') }} as in_30d,
        daily.event_day >= {{ dbt.dateadd('day', -89, 'as_of.as_of_day') }} as in_90d
    from daily
    cross join as_of
),

recipients as (
    select
        account_id,
        recipient,
        as_of_day,
        min(first_sent_at) as first_sent_at,
        max(last_sent_at) as last_sent_at,
        max(last_opened_at) as last_opened_at,
        max(last_clicked_at) as last_clicked_at,
        max(last_engaged_at) as last_engaged_at,
        sum(case when in_30d then sends else 0 end) as sends_30d,
        sum(case when in_30d then opens else 0 end) as opens_30d,
        sum(case when in_30d then clicks else 0 end) as clicks_30d,
        count(case when in_30d and last_engaged_at is not null then 1 end) as engaged_days_30d,
        sum(case when in_90d then sends else 0 end) as sends_90d,
        sum(case when in_90d then opens else 0 end) as opens_90d,
        sum(case when in_90d then clicks else 0 end) as clicks_90d,
        count(case when in_90d and last_engaged_at is not null then 1 end) as engaged_days_90d
    from windowed
    group by account_id, recipient, as_of_day
),

aged as (
    select
        recipients.*,
        {{ dbt.datediff('cast(last_engaged_at as date)', 'as_of_day', 'day') }}
            as days_since_last_engaged,
        {{ dbt.datediff('cast(first_sent_at as date)', 'as_of_day', 'day') }}
            as days_since_first_sent
    from recipients
),

final as (
    select
        account_id,
        recipient,
        as_of_day,
        case
            when days_since_last_engaged < 30 then 'active'
            when days_since_last_engaged < 90 then 'lapsing'
            when days_since_last_engaged is not null then 'dormant'
            when days_since_first_sent < 30 then 'new'
            else 'never_engaged'
        end as engagement_tier,
        cast(days_since_last_engaged as bigint) as days_since_last_engaged,
        cast(sends_30d as bigint) as sends_30d,
        cast(opens_30d as bigint) as opens_30d,
        cast(clicks_30d as bigint) as clicks_30d,
        cast(engaged_days_30d as bigint) as engaged_days_30d,
        cast(sends_90d as bigint) as sends_90d,
        cast(opens_90d as bigint) as opens_90d,
        cast(clicks_90d as bigint) as clicks_90d,
        cast(engaged_days_90d as bigint) as engaged_days_90d,
        first_sent_at,
        last_sent_at,
        last_opened_at,
        last_clicked_at,
        last_engaged_at
    from aged
)

select * from final
