{#- Personal data in core: as received, or, with HOOKHOUSE_HASH_PERSONAL_DATA=1, keyed hashes
    (HMAC-SHA256 with the key of $HOOKHOUSE_HOME/secrets/pii.key, or HOOKHOUSE_PII_KEY_FILE).
    The hash functions are registered on dbt's connection by the plugin of profiles.yml
    (orchestration/privacy/dbt_plugin.py), which reads the key itself: the key never
    appears in SQL, so never in target/. A change of the setting needs
    `hookhouse run --full-refresh`, or core holds both forms. -#}
{% macro hash_personal_data() -%}
    {{ return(env_var('HOOKHOUSE_HASH_PERSONAL_DATA', '') | trim == '1') }}
{%- endmacro %}

{#- One address or phone number (`kind`: 'email' or 'phone'). -#}
{% macro personal_value(column, kind) -%}
    {{ return(adapter.dispatch('personal_value', 'hookhouse')(column, kind)) }}
{%- endmacro %}

{% macro duckdb__personal_value(column, kind) -%}
    {%- if hookhouse.hash_personal_data() -%}
        hookhouse_pii_hash('{{ kind }}', {{ column }})
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{% macro default__personal_value(column, kind) -%}
    {%- if hookhouse.hash_personal_data() -%}
        {{ exceptions.raise_compiler_error('HOOKHOUSE_HASH_PERSONAL_DATA is implemented for DuckDB only') }}
    {%- endif -%}
    {{ column }}
{%- endmacro %}

{#- A JSON payload, its address- and phone-shaped string values replaced by their hashes. -#}
{% macro personal_json(column) -%}
    {{ return(adapter.dispatch('personal_json', 'hookhouse')(column)) }}
{%- endmacro %}

{% macro duckdb__personal_json(column) -%}
    {%- if hookhouse.hash_personal_data() -%}
        cast(hookhouse_pii_redact(cast({{ column }} as varchar)) as json)
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{% macro default__personal_json(column) -%}
    {%- if hookhouse.hash_personal_data() -%}
        {{ exceptions.raise_compiler_error('HOOKHOUSE_HASH_PERSONAL_DATA is implemented for DuckDB only') }}
    {%- endif -%}
    {{ column }}
{%- endmacro %}
