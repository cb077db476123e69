{#- The typed fields hookhouse knows inside `event_data`, in one place.

    `documented`: fields the Altcraft docs list (docs/hook-message-format.md 3.1-3.2): the
    tracking fields in full, and the delivery fields. The docs do not describe the payload
    of the other families; `observed` fields are those seen in hook payloads (the synthetic
    generator follows them) and are extracted tolerantly: an absent key is NULL. Every event
    also keeps its whole `event_data`, so a field learned later is one line here. -#}
{% macro event_data_fields() -%}
    {{ return([
        {'name': 'campaign_id', 'path': '$.campaign_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'message_id', 'path': '$.message_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'segment_id', 'path': '$.segment_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'resource_id', 'path': '$.resource_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'launch_id', 'path': '$.launch_id', 'type': 'varchar', 'source': 'documented'},
        {'name': 'send_message_id', 'path': '$.send_message_id', 'type': 'varchar', 'source': 'documented'},
        {'name': 'link_url', 'path': '$.link_url', 'type': 'varchar', 'source': 'documented'},
        {'name': 'ip', 'path': '$.ip', 'type': 'varchar', 'source': 'documented'},
        {'name': 'country', 'path': '$.country', 'type': 'varchar', 'source': 'documented'},
        {'name': 'city', 'path': '$.city', 'type': 'varchar', 'source': 'documented'},
        {'name': 'postal_code', 'path': '$.postal_code', 'type': 'varchar', 'source': 'documented'},
        {'name': 'region', 'path': '$.region', 'type': 'varchar', 'source': 'documented'},
        {'name': 'tz', 'path': '$.tz', 'type': 'varchar', 'source': 'documented'},
        {'name': 'lat', 'path': '$.lat', 'type': 'double', 'source': 'documented'},
        {'name': 'lon', 'path': '$.lon', 'type': 'double', 'source': 'documented'},
        {'name': 'user_agent', 'path': '$.user_agent', 'type': 'varchar', 'source': 'documented'},
        {'name': 'os', 'path': '$.os', 'type': 'varchar', 'source': 'documented'},
        {'name': 'browser', 'path': '$.browser', 'type': 'varchar', 'source': 'documented'},
        {'name': 'device', 'path': '$.device', 'type': 'varchar', 'source': 'documented'},
        {'name': 'extra_uid', 'path': '$.extra_uid', 'type': 'varchar', 'source': 'documented'},
    ]) }}
{%- endmacro %}

{#- Which `event_data` fields each family's fact table types, beyond the envelope. -#}
{% macro family_fields(family) -%}
    {%- set tracking = ['campaign_id', 'message_id', 'segment_id', 'resource_id', 'launch_id',
        'send_message_id', 'link_url', 'ip', 'country', 'city', 'postal_code', 'region', 'tz',
        'lat', 'lon', 'user_agent', 'os', 'browser', 'device'] -%}
    {%- set messaging = ['campaign_id', 'message_id', 'segment_id', 'resource_id', 'launch_id',
        'send_message_id', 'link_url'] -%}
    {%- set by_family = {
        'email': tracking,
        'sms': tracking,
        'push': tracking + ['extra_uid'],
        'telegram_bot': messaging,
        'telegram_group': messaging,
        'whatsapp': messaging,
        'viber': messaging,
        'notify': messaging,
        'pixel': ['campaign_id', 'resource_id', 'ip', 'country', 'city', 'region', 'user_agent', 'os', 'browser', 'device'],
        'api_unsubscribe': ['resource_id'],
    } -%}
    {{ return(by_family.get(family, ['campaign_id', 'resource_id'])) }}
{%- endmacro %}

{#- Family-specific `event_data` fields, extracted from the JSON by the family's fact table.
    Undocumented by Altcraft (docs/hook-message-format.md 3.4-3.6): these are the keys
    observed in payloads; an absent key is NULL. -#}
{% macro family_extra_fields(family) -%}
    {%- set by_family = {} -%}
    {{ return(by_family.get(family, [])) }}
{%- endmacro %}
