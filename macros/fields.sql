{#- The typed fields hookhouse knows inside `event_data`, in one place.

    `documented`: fields the Altcraft docs list (docs/hook-message-format.md 3.1-3.2): the
    tracking fields in full, and the delivery fields. The docs do not describe the payload
    of the other families; `observed` fields are those seen in hook payloads (the synthetic
    generator follows them) and are extracted tolerantly: an absent key is NULL. Every event
    also keeps its whole `event_data`, so a field learned later is one line here. -#}
{% macro event_data_fields() -%}
    {{ return([
        {'name': 'campaign_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'message_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'segment_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'resource_id', 'type': 'bigint', 'source': 'documented'},
        {'name': 'launch_id', 'type': 'varchar', 'source': 'documented'},
        {'name': 'send_message_id', 'type': 'varchar', 'source': 'documented'},
        {'name': 'link_url', 'type': 'varchar', 'source': 'documented'},
        {'name': 'ip', 'type': 'varchar', 'source': 'documented'},
        {'name': 'country', 'type': 'varchar', 'source': 'documented'},
        {'name': 'city', 'type': 'varchar', 'source': 'documented'},
        {'name': 'postal_code', 'type': 'varchar', 'source': 'documented'},
        {'name': 'region', 'type': 'varchar', 'source': 'documented'},
        {'name': 'tz', 'type': 'varchar', 'source': 'documented'},
        {'name': 'lat', 'type': 'double', 'source': 'documented'},
        {'name': 'lon', 'type': 'double', 'source': 'documented'},
        {'name': 'user_agent', 'type': 'varchar', 'source': 'documented'},
        {'name': 'os', 'type': 'varchar', 'source': 'documented'},
        {'name': 'browser', 'type': 'varchar', 'source': 'documented'},
        {'name': 'device', 'type': 'varchar', 'source': 'documented'},
        {'name': 'extra_uid', 'type': 'varchar', 'source': 'documented'},
    ]) }}
{%- endmacro %}

{#- The fields of a `subscription` array element (docs/hook-message-format.md section 2). -#}
{% macro subscription_element_fields() -%}
    {{ return({
        'resource_id': 'BIGINT',
        'channel': 'VARCHAR',
        'email': 'VARCHAR',
        'phone': 'VARCHAR',
        'subscription_id': 'VARCHAR',
        'provider': 'VARCHAR',
        'priority': 'BIGINT',
        'status': 'VARCHAR',
    }) }}
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
        'campaign_launch': ['campaign_id', 'resource_id', 'launch_id'],
        'campaign_error': ['campaign_id', 'resource_id', 'message_id', 'launch_id'],
        'campaign_audience': ['campaign_id', 'resource_id', 'segment_id', 'launch_id'],
        'popup': ['ip', 'user_agent'],
        'static_segment': ['segment_id'],
    } -%}
    {{ return(by_family.get(family, ['campaign_id', 'resource_id'])) }}
{%- endmacro %}

{#- Family-specific `event_data` fields, extracted from the JSON by the family's fact table.
    Altcraft does not document these payloads (docs/hook-message-format.md 3.4-3.6): the keys
    are those observed in payloads and produced by `hookhouse generate`; an absent key or a
    value of another type is NULL, and the whole event_data stays in the table. -#}
{% macro family_extra_fields(family) -%}
    {%- set by_family = {
        'email': [
            {'name': 'smtp_response', 'path': '$.smtp_response', 'type': 'varchar'},
        ],
        'push': [
            {'name': 'provider_response', 'path': '$.provider_response', 'type': 'varchar'},
        ],
        'campaign_launch': [
            {'name': 'campaign_name', 'path': '$.campaign_name', 'type': 'varchar'},
            {'name': 'launch_channel', 'path': '$.channel', 'type': 'varchar'},
            {'name': 'launch_type', 'path': '$.launch_type', 'type': 'varchar'},
            {'name': 'audience_size', 'path': '$.audience_size', 'type': 'bigint'},
        ],
        'campaign_error': [
            {'name': 'error_type', 'path': '$.error_type', 'type': 'varchar'},
            {'name': 'error_message', 'path': '$.error', 'type': 'varchar'},
        ],
        'campaign_audience': [
            {'name': 'audience_group', 'path': '$.group', 'type': 'varchar'},
            {'name': 'gcg_id', 'path': '$.gcg_id', 'type': 'bigint'},
        ],
        'popup': [
            {'name': 'popup_id', 'path': '$.popup_id', 'type': 'bigint'},
            {'name': 'popup_name', 'path': '$.popup_name', 'type': 'varchar'},
            {'name': 'page_url', 'path': '$.page_url', 'type': 'varchar'},
            {'name': 'element', 'path': '$.element', 'type': 'varchar'},
            {'name': 'form_id', 'path': '$.form_id', 'type': 'bigint'},
            {'name': 'error_message', 'path': '$.error', 'type': 'varchar'},
            {'name': 'custom_event', 'path': '$.custom_event', 'type': 'varchar'},
        ],
        'loyalty': [
            {'name': 'loyalty_id', 'path': '$.loyalty_id', 'type': 'bigint'},
            {'name': 'program_name', 'path': '$.program_name', 'type': 'varchar'},
            {'name': 'points', 'path': '$.points', 'type': 'double'},
            {'name': 'level', 'path': '$.level', 'type': 'varchar'},
            {'name': 'previous_level', 'path': '$.previous_level', 'type': 'varchar'},
            {'name': 'order_id', 'path': '$.order_id', 'type': 'varchar'},
        ],
        'promocode': [
            {'name': 'promocode', 'path': '$.promocode', 'type': 'varchar'},
            {'name': 'promocode_id', 'path': '$.promocode_id', 'type': 'bigint'},
            {'name': 'pool_id', 'path': '$.pool_id', 'type': 'bigint'},
            {'name': 'order_id', 'path': '$.order_id', 'type': 'varchar'},
            {'name': 'order_amount', 'path': '$.order_amount', 'type': 'double'},
        ],
        'pixel': [
            {'name': 'pixel_id', 'path': '$.pixel_id', 'type': 'bigint'},
            {'name': 'goal', 'path': '$.goal', 'type': 'varchar'},
            {'name': 'goal_value', 'path': '$.value', 'type': 'double'},
            {'name': 'page_url', 'path': '$.url', 'type': 'varchar'},
            {'name': 'referer', 'path': '$.referer', 'type': 'varchar'},
        ],
        'profile_import': [
            {'name': 'import_id', 'path': '$.import_id', 'type': 'bigint'},
            {'name': 'import_source', 'path': '$.source', 'type': 'varchar'},
            {'name': 'is_new_profile', 'path': '$.is_new_profile', 'type': 'boolean'},
            {'name': 'file_name', 'path': '$.file_name', 'type': 'varchar'},
        ],
        'static_segment': [
            {'name': 'segment_name', 'path': '$.segment_name', 'type': 'varchar'},
            {'name': 'import_id', 'path': '$.import_id', 'type': 'bigint'},
        ],
        'profile_merge_split': [
            {'name': 'merge_id', 'path': '$.merge_id', 'type': 'varchar'},
            {'name': 'merged_profile_ids', 'path': '$.merged_profile_ids', 'type': 'json'},
            {'name': 'split_id', 'path': '$.split_id', 'type': 'varchar'},
            {'name': 'split_profile_ids', 'path': '$.split_profile_ids', 'type': 'json'},
        ],
        'gcg': [
            {'name': 'gcg_id', 'path': '$.gcg_id', 'type': 'bigint'},
            {'name': 'reason', 'path': '$.reason', 'type': 'varchar'},
        ],
        'api_unsubscribe': [
            {'name': 'unsubscribe_channel', 'path': '$.channel', 'type': 'varchar'},
            {'name': 'unsubscribe_source', 'path': '$.source', 'type': 'varchar'},
        ],
    } -%}
    {{ return(by_family.get(family, [])) }}
{%- endmacro %}

{#- The domain of an email address: what follows the '@', trimmed and lower-cased (domains
    are case-insensitive); NULL when there is no address, no '@' or nothing after it. The
    address itself is personal data and stays in core; the domain is what marts may show. -#}
{% macro email_domain(address) -%}
    nullif(trim(lower({{ dbt.split_part(address, "'@'", 2) }})), '')
{%- endmacro %}
