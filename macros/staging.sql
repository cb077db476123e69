{#- Hook events typed: the catalog joined, the known event_data fields extracted, the first
    subscription element flattened. `first_deliveries` names a relation with bronze's
    columns and `deliveries`, one row per event (its first delivery). Emits CTEs, the last
    named `staged`. Shared by staging.stg_hook__events (all of bronze) and the incremental
    path of core.hook_events (only the events new to it), so both type events alike. -#}
{% macro staged_events_ctes(first_deliveries) -%}
catalog as (
    select * from {{ ref('event_catalog') }}
),

events as (
    select
        first_delivery.*,
        {{ hookhouse.parse_record('first_delivery.record') }} as parsed,
        {{ hookhouse.json_values('first_delivery.record', ['$.event_data', '$.custom_data', '$.subscription']) }} as payloads
    from {{ first_deliveries }} as first_delivery
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
        {{ hookhouse.sql_null_for_json_null(hookhouse.list_item('events.payloads', 0)) }} as event_data,
        {{ hookhouse.sql_null_for_json_null(hookhouse.list_item('events.payloads', 1)) }} as custom_data,
        {{ hookhouse.sql_null_for_json_null(hookhouse.list_item('events.payloads', 2)) }} as subscription,
        events.type_errors,
        events.deliveries,
        events.source_file,
        events.position,
        events.batch_id,
        events.ingested_at
    from events
),

staged as (
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
{%- endmacro %}
