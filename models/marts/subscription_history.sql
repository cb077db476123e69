{#- Status periods of each subscription (contract section 5), derived from events with
    window functions: a period starts at an observation whose status differs from the
    previous one, and ends where the next period starts. Test events are left out. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='subscription_key',
    on_schema_change='fail',
) }}
{#- Incremental by subscription: a run rewrites the subscriptions observed in batches it has
    not seen (`observed_through_batch` is each subscription's newest observing batch: the
    watermark). When every new observation of a subscription is later than its last known
    one (`last_observed_at`), the history up to then cannot change: the run continues it
    from the current period's start, reading only the new observations. A late observation
    can split any period, so such a subscription is replayed from all its observations. -#}
with

{% if is_incremental() -%}
{%- set watermark = hookhouse.batch_watermark('observed_through_batch') %}
new_observations as (
    select * from {{ ref('subscription_observations') }}
    where batch_id > '{{ watermark }}' and not is_test
),

current_periods as (
    select * from {{ this }}
    where is_current
        and subscription_key in (select subscription_key from new_observations)
),

replayed as (
    -- Subscriptions with a new observation at or before their last known one.
    select distinct new_observations.subscription_key
    from new_observations
    inner join current_periods
        on new_observations.subscription_key = current_periods.subscription_key
    where new_observations.event_at <= current_periods.last_observed_at
),

observations as (
    select
        subscription_key,
        account_id,
        recipient,
        resource_id,
        channel,
        status,
        is_status_event,
        event_type,
        event_id,
        event_at,
        batch_id
    from {{ ref('subscription_observations') }}
    where not is_test
        and subscription_key in (select subscription_key from replayed)
    union all
    select
        subscription_key,
        account_id,
        recipient,
        resource_id,
        channel,
        status,
        is_status_event,
        event_type,
        event_id,
        event_at,
        batch_id
    from new_observations
    where subscription_key not in (select subscription_key from replayed)
    union all
    -- The current period's start stands for the history before it.
    select
        subscription_key,
        account_id,
        recipient,
        resource_id,
        channel,
        status,
        true as is_status_event,
        source_event_type as event_type,
        source_event_id as event_id,
        valid_from as event_at,
        observed_through_batch as batch_id
    from current_periods
    where subscription_key not in (select subscription_key from replayed)
),

closed_periods as (
    -- Closed periods of continued subscriptions, unchanged but for the per-subscription
    -- columns (delete+insert replaces every row of a subscription).
    select * from {{ this }}
    where not is_current
        and subscription_key in (select subscription_key from new_observations)
        and subscription_key not in (select subscription_key from replayed)
),
{%- else %}
observations as (
    select * from {{ ref('subscription_observations') }}
    where not is_test
),
{%- endif %}

instants as (
    -- One status per subscription and instant: when events share a timestamp, the one that
    -- sets a status wins over observations (then the highest event_id, to be total).
    select *
    from (
        select
            *,
            row_number() over (
                partition by subscription_key, event_at
                order by is_status_event desc, event_id desc
            ) as rank_in_instant
        from observations
    ) as ranked
    where rank_in_instant = 1
),

ordered as (
    select
        max(batch_id) over (partition by subscription_key) as observed_through_batch,
        max(event_at) over (partition by subscription_key) as last_observed_at,
        subscription_key,
        account_id,
        recipient,
        resource_id,
        channel,
        status,
        event_type,
        event_at,
        lag(status) over (partition by subscription_key order by event_at) as previous_status,
        event_id
    from instants
),

period_starts as (
    select * from ordered
    where previous_status is null or previous_status <> status
),

periods as (
    select
        subscription_key,
        account_id,
        recipient,
        resource_id,
        channel,
        status,
        event_at as valid_from,
        lead(event_at) over (partition by subscription_key order by event_at) as valid_to,
        event_type as source_event_type,
        event_id as source_event_id,
        observed_through_batch,
        last_observed_at
    from period_starts
),

{% if is_incremental() -%}
continued as (
    select
        subscription_key,
        max(observed_through_batch) as observed_through_batch,
        max(last_observed_at) as last_observed_at
    from periods
    group by subscription_key
),

all_periods as (
    select * from periods
    union all
    select
        closed_periods.subscription_key,
        closed_periods.account_id,
        closed_periods.recipient,
        closed_periods.resource_id,
        closed_periods.channel,
        closed_periods.status,
        closed_periods.valid_from,
        closed_periods.valid_to,
        closed_periods.source_event_type,
        closed_periods.source_event_id,
        continued.observed_through_batch,
        continued.last_observed_at
    from closed_periods
    inner join continued on closed_periods.subscription_key = continued.subscription_key
),
{%- else -%}
all_periods as (
    select * from periods
),
{%- endif %}

final as (
    select
        subscription_key,
        account_id,
        recipient,
        resource_id,
        channel,
        status,
        valid_from,
        valid_to,
        valid_to is null as is_current,
        source_event_type,
        source_event_id,
        observed_through_batch,
        last_observed_at
    from all_periods
)

select * from final
