{#- Bronze: the Parquet files ingest writes under $HOOKHOUSE_HOME/bronze, read in place. -#}

{#- The folder of one bronze table; its name comes from var('bronze_tables'), the layout's
    one definition (dbt_project.yml). Bronze is where ingest writes it, $HOOKHOUSE_HOME/bronze,
    unless HOOKHOUSE_BRONZE_URI says where the engine reads the same files: a path, or a URI
    of shared or object storage for a cluster (hdfs://..., s3a://bucket/prefix; README,
    "Running on Spark"). -#}
{% macro bronze_path(table) -%}
    {%- set root = env_var('HOOKHOUSE_BRONZE_URI', env_var('HOOKHOUSE_HOME', 'data') ~ '/bronze') -%}
    {{ root.strip().rstrip('/') }}/{{ var('bronze_tables')[table]['folder'] }}
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

{#- Spark (and engines with a metastore): each folder registered once as an external Parquet
    table (its schema, and hook_events' event_day partitions, inferred from the files), then
    the day partitions added since the last run found (`msck repair`) and cached file lists
    dropped (`refresh`). Dropping such a table never deletes the files. A hook runs one
    statement per query on Spark, hence run_query; the hook's own SQL is a no-op. -#}
{% macro default__create_bronze_views() -%}
    {%- if execute -%}
        {%- do run_query('create schema if not exists bronze') -%}
        {%- for table, layout in var('bronze_tables').items() -%}
            {%- do run_query(
                'create table if not exists bronze.' ~ table ~ ' using parquet'
                ~ " location '" ~ hookhouse.bronze_path(table) ~ "'"
            ) -%}
            {%- if layout.get('partitioned_by') -%}
                {%- do run_query('msck repair table bronze.' ~ table) -%}
            {%- endif -%}
            {%- do run_query('refresh table bronze.' ~ table) -%}
        {%- endfor -%}
    {%- endif -%}
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
    bronze.{{ table }}
{%- endmacro %}
