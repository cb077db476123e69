{#- Schemas are the layer names of the contract (bronze, staging, core, marts), not
    "<target schema>_<layer>": analysts query marts.campaign_performance. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
