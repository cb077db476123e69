{#- One row per (account_id, resource_id, channel, day), from the group's first day with
    data to the last day with data in the warehouse: how many subscriptions are subscribed
    at the end of the day, and how many entered each registered status that day. -#}
with

history as (
    select * from {{ ref('subscription_history') }}
),

last_day as (
    select max(event_day) as last_day
    from {{ ref('subscription_observations') }}
    where not is_test
),

entered as (
    select
        account_id,
        resource_id,
        channel,
        cast(valid_from as date) as day,
        sum(case when status = 'subscribed' then 1 else 0 end) as entered_subscribed,
        sum(case when status = 'unsubscribed' then 1 else 0 end) as entered_unsubscribed,
        sum(case when status = 'complainer' then 1 else 0 end) as entered_complainer,
        sum(case when status = 'hardbounced' then 1 else 0 end) as entered_hardbounced
    from history
    group by 1, 2, 3, 4
),

left_subscribed as (
    select
        account_id,
        resource_id,
        channel,
        cast(valid_to as date) as day,
        count(*) as left_subscribed
    from history
    where status = 'subscribed' and valid_to is not null
    group by 1, 2, 3, 4
),

groups as (
    select
        account_id,
        resource_id,
        channel,
        min(day) as first_day
    from entered
    group by 1, 2, 3
),

spine as (
    select
        groups.account_id,
        groups.resource_id,
        groups.channel,
        cast(days.day as date) as day
    from groups
    cross join last_day
    {{ hookhouse.day_series('groups.first_day', 'last_day.last_day') }}
),

daily as (
    select
        spine.account_id,
        spine.resource_id,
        spine.channel,
        spine.day,
        coalesce(entered.entered_subscribed, 0) as entered_subscribed,
        coalesce(entered.entered_unsubscribed, 0) as entered_unsubscribed,
        coalesce(entered.entered_complainer, 0) as entered_complainer,
        coalesce(entered.entered_hardbounced, 0) as entered_hardbounced,
        coalesce(entered.entered_subscribed, 0) - coalesce(left_subscribed.left_subscribed, 0)
            as net_subscribed
    from spine
    left join entered
        on spine.account_id = entered.account_id
        and spine.resource_id = entered.resource_id
        and spine.channel = entered.channel
        and spine.day = entered.day
    left join left_subscribed
        on spine.account_id = left_subscribed.account_id
        and spine.resource_id = left_subscribed.resource_id
        and spine.channel = left_subscribed.channel
        and spine.day = left_subscribed.day
),

final as (
    select
        account_id,
        resource_id,
        channel,
        day,
        cast(sum(net_subscribed) over (
            partition by account_id, resource_id, channel
            order by day
            rows between unbounded preceding and current row
        ) as bigint) as subscribed,
        cast(entered_subscribed as bigint) as entered_subscribed,
        cast(entered_unsubscribed as bigint) as entered_unsubscribed,
        cast(entered_complainer as bigint) as entered_complainer,
        cast(entered_hardbounced as bigint) as entered_hardbounced
    from daily
)

select * from final
