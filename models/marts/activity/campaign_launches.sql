{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['account_id', 'campaign_id', 'launch_id'],
    on_schema_change='fail',
) }}
{#- One row per campaign launch (account_id, campaign_id, launch_id): what the launch event
    says (time, channel, type, audience size), the non-test sends of the launch, and the
    campaign errors (camp_error) naming it. A launch known only from its errors (its launch
    event never arrived: historical exports carry none) still gets a row, with the launch
    columns NULL. Events without a campaign_id (contract section 5) or a launch_id are in
    no row. Rebuilt launch by launch: a run replaces the launches with new events. -#}
with

{% if is_incremental() -%}
touched_launches as (
    -- The launches with a launch, an error or a send event in a batch this mart has not seen.
    select distinct
        account_id,
        campaign_id,
        launch_id
    from {{ ref('hook_events') }}
    where batch_id > (select coalesce(max(built_through_batch), '') from {{ this }})
        and campaign_id is not null
        and launch_id is not null
        and not is_test
        and (family in ('campaign_launch', 'campaign_error') or role = 'send')
),
{%- endif %}

launch_events as (
    select
        launch_event.account_id,
        launch_event.campaign_id,
        launch_event.launch_id,
        launch_event.campaign_name,
        launch_event.launch_channel,
        launch_event.launch_type,
        launch_event.audience_size,
        launch_event.batch_id,
        launch_event.event_at
    {{ hookhouse.launch_scoped('fct_campaign_launch_events', 'launch_event') }}
),

error_events as (
    select
        error_event.account_id,
        error_event.campaign_id,
        error_event.launch_id,
        error_event.recipient,
        error_event.error_type,
        error_event.batch_id,
        error_event.event_at
    {{ hookhouse.launch_scoped('fct_campaign_error_events', 'error_event') }}
),

send_events as (
    select
        send_event.account_id,
        send_event.campaign_id,
        send_event.launch_id,
        send_event.recipient,
        send_event.batch_id
    {{ hookhouse.launch_scoped('hook_events', 'send_event') }}
        and send_event.role = 'send'
),

launches as (
    -- One launch event per launch is expected; should there be more, the earliest time and
    -- the greatest value of each attribute.
    select
        account_id,
        campaign_id,
        launch_id,
        max(campaign_name) as campaign_name,
        max(launch_channel) as channel,
        max(launch_type) as launch_type,
        max(audience_size) as audience_size,
        min(event_at) as launched_at,
        max(batch_id) as built_through_batch
    from launch_events
    group by account_id, campaign_id, launch_id
),

errors as (
    select
        account_id,
        campaign_id,
        launch_id,
        count(*) as errors,
        count(distinct recipient) as recipients_with_errors,
        min(event_at) as first_error_at,
        max(event_at) as last_error_at,
        max(batch_id) as built_through_batch
    from error_events
    group by account_id, campaign_id, launch_id
),

error_type_counts as (
    select
        account_id,
        campaign_id,
        launch_id,
        error_type,
        count(*) as error_count,
        row_number() over (
            partition by account_id, campaign_id, launch_id
            order by count(*) desc, error_type
        ) as frequency_rank
    from error_events
    where error_type is not null
    group by account_id, campaign_id, launch_id, error_type
),

error_types as (
    select
        account_id,
        campaign_id,
        launch_id,
        max(case when frequency_rank = 1 then error_type end) as top_error_type,
        {{ dbt.listagg('error_type', "', '", 'order by frequency_rank') }} as error_types
    from error_type_counts
    group by account_id, campaign_id, launch_id
),

sends as (
    select
        account_id,
        campaign_id,
        launch_id,
        count(*) as sends,
        count(distinct recipient) as recipients_sent,
        max(batch_id) as built_through_batch
    from send_events
    group by account_id, campaign_id, launch_id
),

launch_keys as (
    select
        account_id,
        campaign_id,
        launch_id
    from launches
    union
    select
        account_id,
        campaign_id,
        launch_id
    from errors
),

final as (
    select
        launch_keys.account_id,
        launch_keys.campaign_id,
        launch_keys.launch_id,
        launches.campaign_name,
        launches.channel,
        launches.launch_type,
        launches.launched_at,
        launches.audience_size,
        launches.launched_at is not null as has_launch_event,
        coalesce(sends.sends, 0) as sends,
        coalesce(sends.recipients_sent, 0) as recipients_sent,
        coalesce(errors.errors, 0) as errors,
        coalesce(errors.recipients_with_errors, 0) as recipients_with_errors,
        error_types.top_error_type,
        error_types.error_types,
        errors.first_error_at,
        errors.last_error_at,
        -- '' sorts first: the newest batch of whichever parts the launch has.
        greatest(
            coalesce(launches.built_through_batch, ''),
            coalesce(errors.built_through_batch, ''),
            coalesce(sends.built_through_batch, '')
        ) as built_through_batch
    from launch_keys
    left join launches
        on launch_keys.account_id = launches.account_id
        and launch_keys.campaign_id = launches.campaign_id
        and launch_keys.launch_id = launches.launch_id
    left join errors
        on launch_keys.account_id = errors.account_id
        and launch_keys.campaign_id = errors.campaign_id
        and launch_keys.launch_id = errors.launch_id
    left join error_types
        on launch_keys.account_id = error_types.account_id
        and launch_keys.campaign_id = error_types.campaign_id
        and launch_keys.launch_id = error_types.launch_id
    left join sends
        on launch_keys.account_id = sends.account_id
        and launch_keys.campaign_id = sends.campaign_id
        and launch_keys.launch_id = sends.launch_id
)

select * from final
