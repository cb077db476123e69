{#- Status periods of each subscription (contract section 5), derived from events with
    window functions: a period starts at an observation whose status differs from the
    previous one, and ends where the next period starts. Test events are left out. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='subscription_key',
    on_schema_change='fail',
) }}
{#- Incremental by subscription: a run recomputes, from all their observations, only the
    subscriptions observed in batches it has not seen (a late event can split any period).
    `observed_through_batch` is each subscription's newest observing batch: the watermark. -#}
with

{% if is_incremental() -%}
touched as (
    select distinct subscription_key
    from {{ ref('subscription_observations') }}
    where batch_id > (select coalesce(max(observed_through_batch), '') from {{ this }})
),
{%- endif %}

observations as (
    select * from {{ ref('subscription_observations') }}
    where not is_test
    {%- if is_incremental() %}
      and subscription_key in (select subscription_key from touched)
    {%- endif %}
),

instants as (
    -- One status per subscription and instant: when events share a timestamp, the one that
    -- sets a status wins over observations (then the highest event_id, to be total).
    select *
    from (
        select
            observations.*,
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
        observed_through_batch
    from period_starts
),

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
        observed_through_batch
    from periods
)

select * from final
