{{ config(alias='subscription_observations') }}
{#- Every time an event tells the status of a subscription: one row per event and
    subscription it concerns. The source of marts.subscription_history.

    The status is the one the event type sets (catalog `sets_status`: unsub sets
    unsubscribed, confirmsub subscribed, ...), otherwise the `status` of the event's
    `subscription` element: the status observed at that time. The subscription is keyed by
    (account_id, recipient, resource_id, channel), taken from the `subscription` element, or
    from event_data.resource_id and the event's channel (the event type's, else
    event_data.channel) where the array is absent. -#}
with

catalog as (
    select
        event_type,
        sets_status
    from {{ ref('event_catalog') }}
),

events as (
    select
        hook_events.event_id,
        hook_events.event_type,
        hook_events.event_at,
        hook_events.event_day,
        hook_events.account_id,
        hook_events.recipient,
        hook_events.is_test,
        -- An event without a subscription array names its subscription by
        -- event_data.resource_id and its channel: the event type's, else event_data.channel.
        coalesce(
            hook_events.channel, {{ hookhouse.json_text('hook_events.event_data', '$.channel') }}
        ) as channel,
        hook_events.resource_id,
        catalog.sets_status,
        hook_events.subscription,
        hook_events.batch_id
    from {{ ref('hook_events') }} as hook_events
    left join catalog on hook_events.event_type = catalog.event_type
    where hook_events.recipient is not null
        and {{ hookhouse.new_events_filter('hook_events.batch_id', 'hook_events.event_day') }}
),

from_elements as (
    select
        events.event_id,
        events.event_type,
        events.event_at,
        events.event_day,
        events.account_id,
        events.recipient,
        events.is_test,
        events.sets_status,
        events.batch_id,
        {{ hookhouse.json_typed('element', '$.resource_id', 'bigint') }} as resource_id,
        {{ hookhouse.json_text('element', '$.channel') }} as channel,
        lower({{ hookhouse.json_text('element', '$.status') }}) as observed_status
    from events
    {{ hookhouse.unnest_json_array('events.subscription') }}
),

from_envelope as (
    -- Status-setting events that carry no subscription array.
    select
        event_id,
        event_type,
        event_at,
        event_day,
        account_id,
        recipient,
        is_test,
        sets_status,
        batch_id,
        resource_id,
        channel,
        cast(null as string) as observed_status
    from events
    where sets_status is not null
        and (subscription is null or {{ hookhouse.json_text('subscription', '$[0]') }} is null)
),

unioned as (
    select * from from_elements
    union all
    select * from from_envelope
),

final as (
    select
        {{ dbt.hash(dbt.concat([
            'cast(account_id as string)', "'|'", 'recipient', "'|'",
            'cast(resource_id as string)', "'|'", 'channel'])) }} as subscription_key,
        event_id,
        account_id,
        recipient,
        resource_id,
        channel,
        coalesce(sets_status, observed_status) as status,
        sets_status is not null as is_status_event,
        observed_status,
        event_type,
        is_test,
        batch_id,
        event_at,
        event_day
    from unioned
    where coalesce(sets_status, observed_status) is not null
        and resource_id is not null
        and channel is not null
)

-- Stored in day order: a run that rebuilds a few days then reads only their row groups.
select * from final  -- noqa: CV13
order by event_day, event_at
