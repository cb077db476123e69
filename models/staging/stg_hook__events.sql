{#- Typed, de-duplicated hook events: one row per distinct event (event_key), the catalog
    joined, the known event_data fields extracted, and the first subscription element
    flattened. A view: consumers filter it by event_day, which reaches bronze's partitions. -#}
with

bronze as (
    select * from {{ source('bronze', 'hook_events') }}
),

catalog as (
    select * from {{ ref('event_catalog') }}
),

deliveries as (
    select
        bronze.*,
        row_number() over (
            partition by event_day, event_key
            order by batch_id, source_file, position
        ) as delivery_rank,
        count(*) over (partition by event_day, event_key) as deliveries
    from bronze
),

events as (
    -- An event's key fixes its event_date, so every delivery of it is on the same day.
    select
        deliveries.*,
        {{ hookhouse.parse_record('deliveries.record') }} as parsed,
        {{ hookhouse.json_values('deliveries.record', ['$.event_data', '$.custom_data', '$.subscription']) }} as payloads
    from deliveries
    where delivery_rank = 1
),

typed as (
    select
        events.event_key as event_id,
        events.event_type,
        {{ hookhouse.utc_timestamp("events.event_at") }} as event_at,
        events.event_day,
        events.account_id,
        events.list_id,
        events.profile_id,
        events._xxh as xxh,
        events._md5 as md5,
        coalesce(events.profile_id, events._xxh) as recipient,
        coalesce(events.is_test, false) as is_test,
        events.is_static,
        events.sends_trying_num,
        events.subscription_hash_id,
        {%- for field in hookhouse.event_data_fields() %}
        events.parsed.event_data.{{ field.name }} as {{ field.name }},
        {%- endfor %}
        {%- set element = hookhouse.first_element('events.parsed.subscription') %}
        {{ element }}.resource_id as subscription_resource_id,
        {{ element }}.channel as subscription_channel,
        lower({{ element }}.status) as subscription_status,
        {{ element }}.email as subscription_email,
        {{ element }}.phone as subscription_phone,
        {{ hookhouse.list_item('events.payloads', 0) }} as event_data,
        {{ hookhouse.list_item('events.payloads', 1) }} as custom_data,
        {{ hookhouse.list_item('events.payloads', 2) }} as subscription,
        events.type_errors,
        events.deliveries,
        events.source_file,
        events.position,
        events.batch_id,
        events.ingested_at
    from events
),

final as (
    select
        typed.*,
        coalesce(catalog.family, 'unknown') as family,
        catalog.channel,
        coalesce(catalog.role, 'none') as role,
        catalog.sets_status,
        catalog.event_type is not null as is_cataloged
    from typed
    left join catalog on typed.event_type = catalog.event_type
)

select * from final
