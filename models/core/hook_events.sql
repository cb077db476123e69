{{ config(alias='hook_events') }}
{#- Every kept, de-duplicated hook event, typed: the fact table all others derive from.
    Incremental: a run adds the events first delivered in a batch it has not seen (see
    macros/incremental.sql). At night it reads bronze itself rather than the staging view:
    the view ranks every delivery of the days it reads (their raw records included) to find
    first deliveries, while an event is new exactly when no delivery of its key came in a
    batch this table has seen, so only the new batches' records are read and ranked; the
    typing is the view's own (macro staged_events_ctes). A backfill (which deletes and
    re-inserts whole days) takes the view, with new_events_filter. -#}
-- depends_on: {{ source('bronze', 'hook_events') }}
-- depends_on: {{ ref('event_catalog') }}
with

{% if is_incremental() and not hookhouse.backfill_through_batch() -%}
{%- set watermark = hookhouse.batch_watermark() %}
new_deliveries as (
    select * from {{ source('bronze', 'hook_events') }}
    where batch_id > '{{ watermark }}'
        and {{ hookhouse.scan_days_filter('event_day') }}
),

seen_keys as (
    select
        event_day,
        event_key
    from {{ source('bronze', 'hook_events') }}
    where batch_id <= '{{ watermark }}'
        and {{ hookhouse.scan_days_filter('event_day') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by event_day, event_key
            order by batch_id, source_file, position
        ) as delivery_rank,
        count(*) over (partition by event_day, event_key) as deliveries
    from new_deliveries
    where not exists (
            select 1
            from seen_keys
            where seen_keys.event_day = new_deliveries.event_day
                and seen_keys.event_key = new_deliveries.event_key
        )
),

first_deliveries as (
    select * from ranked
    where delivery_rank = 1
),

{{ hookhouse.staged_events_ctes('first_deliveries') }},

new_events as (
    select * from staged
),
{%- else %}
new_events as (
    select * from {{ ref('stg_hook__events') }}
    where {{ hookhouse.new_events_filter() }}
),
{%- endif %}

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
        -- personal data: as received, or keyed hashes (macros/personal_data.sql)
        {{ hookhouse.personal_value('subscription_email', 'email') }} as subscription_email,
        {{ hookhouse.personal_value('subscription_phone', 'phone') }} as subscription_phone,
        {{ hookhouse.email_domain('subscription_email') }} as recipient_domain,
        -- payloads
        {{ hookhouse.personal_json('event_data') }} as event_data,
        {{ hookhouse.personal_json('custom_data') }} as custom_data,
        {{ hookhouse.personal_json('subscription') }} as subscription,  -- noqa: RF04
        -- data quality and lineage
        type_errors,
        source_file,
        batch_id,
        ingested_at,
        -- timestamps
        event_at,
        event_day
    from new_events
)

-- Stored in day order: a run that rebuilds a few days then reads only their row groups.
select * from final  -- noqa: CV13
order by event_day, event_at
