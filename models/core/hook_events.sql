{{ config(alias='hook_events') }}
{#- Every kept, de-duplicated hook event, typed: the fact table all others derive from.
    Incremental: a run adds the events first delivered in a batch it has not seen (see
    macros/incremental.sql). -#}
with

events as (
    select * from {{ ref('stg_hook__events') }}
    where {{ hookhouse.new_events_filter() }}
),

final as (
    select
        -- ids
        event_id,
        account_id,
        list_id,
        profile_id,
        xxh,
        md5,
        recipient,
        campaign_id,
        resource_id,
        message_id,
        segment_id,
        launch_id,
        send_message_id,
        subscription_hash_id,
        -- what happened
        event_type,
        family,
        channel,
        role,
        sets_status,
        is_cataloged,
        is_test,
        is_static,
        sends_trying_num,
        -- tracking details
        link_url,
        ip,
        country,
        city,
        postal_code,
        region,
        tz,
        lat,
        lon,
        user_agent,
        os,
        browser,
        device,
        extra_uid,
        -- the subscription the event concerns (first element of `subscription`)
        subscription_resource_id,
        subscription_channel,
        subscription_status,
        subscription_email,
        subscription_phone,
        {{ hookhouse.email_domain('subscription_email') }} as recipient_domain,
        -- payloads
        event_data,
        custom_data,
        subscription,
        -- data quality and lineage
        type_errors,
        source_file,
        batch_id,
        ingested_at,
        -- timestamps
        event_at,
        event_day
    from events
)

-- Stored in day order: a run that rebuilds a few days then reads only their row groups.
select * from final
order by event_day, event_at
