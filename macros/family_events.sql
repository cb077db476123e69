{#- One fact table per event family (contract section 4): the envelope, the typed
    event_data fields known for the family, and the whole event_data. Every
    models/core/families/fct_<family>_events.sql is one call of this macro. -#}
{% macro family_events(family) -%}
with

events as (
    select * from {{ ref('hook_events') }}
    where family = '{{ family }}'
        and {{ hookhouse.new_events_filter() }}
),

final as (
    select
        event_id,
        account_id,
        list_id,
        profile_id,
        recipient,
        event_type,
        channel,
        role,
        sets_status,
        is_test,
        {%- for field in hookhouse.family_fields(family) %}
        {{ field }},
        {%- endfor %}
        {%- for field in hookhouse.family_extra_fields(family) %}
        {{ hookhouse.json_typed('event_data', field.path, field.type) }} as {{ field.name }},
        {%- endfor %}
        subscription_resource_id,
        subscription_channel,
        subscription_status,
        event_data,
        batch_id,
        event_at,
        event_day
    from events
)

-- Stored in day order: a run that rebuilds a few days then reads only their row groups.
select * from final
order by event_day, event_at
{%- endmacro %}
