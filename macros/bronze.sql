{#- Bronze: the Parquet files ingest writes under $HOOKHOUSE_HOME/bronze, read in place. -#}

{#- The folder of one bronze table; its name comes from var('bronze_tables'), the layout's
    one definition (dbt_project.yml). -#}
{% macro bronze_path(table) -%}
    {{ env_var('HOOKHOUSE_HOME', 'data') }}/bronze/{{ var('bronze_tables')[table]['folder'] }}
{%- endmacro %}

{#- Run at the start of every dbt invocation: the contract's bronze.* tables as views, so
    analysts see them in warehouse.duckdb. Engines with a metastore register the Parquet
    folders as tables instead. -#}
{% macro create_bronze_views() -%}
    {{ return(adapter.dispatch('create_bronze_views', 'hookhouse')()) }}
{%- endmacro %}

{% macro duckdb__create_bronze_views() -%}
    create schema if not exists bronze;
    {%- for table in var('bronze_tables') %}
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
    {%- set layout = var('bronze_tables')[table] -%}
    {%- set parts = hookhouse.bronze_path(table) ~ '/' ~ layout['parts'] -%}
    {%- if layout.get('partitioned_by') -%}
    read_parquet('{{ parts }}', hive_partitioning = true, hive_types = {'{{ layout['partitioned_by'] }}': date}, union_by_name = true)
    {%- else -%}
    read_parquet('{{ parts }}', union_by_name = true)
    {%- endif -%}
{%- endmacro %}

{% macro default__read_bronze(table) -%}
    parquet.`{{ hookhouse.bronze_path(table) }}`
{%- endmacro %}
