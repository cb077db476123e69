{#- Bronze: the Parquet files ingest writes under $HOOKHOUSE_HOME/bronze, read in place. -#}

{% macro bronze_path(table) -%}
    {{ env_var('HOOKHOUSE_HOME', 'data') }}/bronze/{{ table }}
{%- endmacro %}

{#- Run at the start of every dbt invocation: the contract's bronze.* tables as views, so
    analysts see them in warehouse.duckdb. Engines with a metastore register the Parquet
    folders as tables instead. -#}
{% macro create_bronze_views() -%}
    {{ return(adapter.dispatch('create_bronze_views', 'hookhouse')()) }}
{%- endmacro %}

{% macro duckdb__create_bronze_views() -%}
    create schema if not exists bronze;
    {%- for table in ['hook_events', 'hook_rejects', 'ingested_files'] %}
    create or replace view bronze.{{ table }} as
        select * from {{ hookhouse.read_bronze(table) }};
    {%- endfor %}
{%- endmacro %}

{% macro default__create_bronze_views() -%}
    select 1
{%- endmacro %}

{#- The relation that reads one bronze table. Ingest always leaves a schema file for each
    table, so an empty data home still reads as empty tables with the right columns. -#}
{% macro read_bronze(table) -%}
    {{ return(adapter.dispatch('read_bronze', 'hookhouse')(table)) }}
{%- endmacro %}

{% macro duckdb__read_bronze(table) -%}
    {%- if table == 'hook_events' -%}
    read_parquet('{{ hookhouse.bronze_path(table) }}/*/*.parquet', hive_partitioning = true, hive_types = {'event_day': date}, union_by_name = true)
    {%- else -%}
    read_parquet('{{ hookhouse.bronze_path(table) }}/*.parquet', union_by_name = true)
    {%- endif -%}
{%- endmacro %}

{% macro default__read_bronze(table) -%}
    parquet.`{{ hookhouse.bronze_path(table) }}`
{%- endmacro %}
