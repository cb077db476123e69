{#- dbt's own macros, overridden for an engine where the adapter's version does not fit. -#}

{#- Model contracts declare DuckDB's type names (the default engine's). Spark checks a contract
    by casting NULL to each declared type; these are the Spark names of the same types. -#}
{% macro spark_type(data_type) -%}
    {%- set name = data_type | trim | lower -%}
    {%- set names = {
        'varchar': 'string',
        'json': 'string',
        'varchar[]': 'array<string>',
        'timestamp with time zone': 'timestamp',
    } -%}
    {{- names.get(name, name) -}}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = dict(columns[name]) -%}
        {%- do column.update({'data_type': hookhouse.spark_type(columns[name]['data_type'])}) -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{ return(dbt.default__get_empty_schema_sql(spark_columns)) }}
{%- endmacro %}

{#- Seeds on Spark: dbt-spark's session method substitutes the values into the SQL unescaped
    (a quote in a value breaks the statement, an empty cell becomes the text 'None'), so the
    rows are written as escaped literals here, the same on every connection method. -#}
{% macro spark__load_csv_rows(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    {%- set column_name = agate_table.column_names[loop.index0] -%}
                    {%- set type = column_override.get(column_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- if value is none -%}
                        cast(null as {{ type }})
                    {%- else -%}
                        cast('{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ type }})
                    {%- endif -%}
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{%- endmacro %}

{#- Incremental models on Spark. Bronze and the warehouse are plain Parquet tables (no table
    format to download), which Spark can append to and overwrite partitions of, but not
    delete from or merge into. So, for the strategies the models declare:
    - `append` (the core tables): as dbt-spark does; but a backfill
      (HOOKHOUSE_BACKFILL_THROUGH_BATCH, where DuckDB first deletes the days: the pre-hook
      delete_backfilled_days) overwrites the event-day partitions it rebuilt instead;
    - `delete+insert` keyed by event day alone (rebuilt_by_day_config): the days are the
      table's partitions, overwritten (dynamic partition overwrite);
    - `delete+insert` on other keys (the campaign and subscription models): the table is
      rewritten as its rows whose key the run did not recompute plus the recomputed rows;
      the computing stays proportional to the new data, the writing to the table. -#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) -%}
    {%- if raw_strategy == 'delete+insert' -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{%- endmacro %}

{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) -%}
    {%- set by_partition = config.get('partition_by') -%}
    {%- set partition_keys = [by_partition] if by_partition is string else by_partition -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- if strategy == 'append' and by_partition and hookhouse.backfill_through_batch() -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
        {{ return(get_insert_overwrite_sql(source, target, existing)) }}
    {%- elif strategy == 'delete+insert' and by_partition and keys == partition_keys -%}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
        {{ return(get_insert_overwrite_sql(source, target, existing)) }}
    {%- elif strategy == 'delete+insert' -%}
        {{ return(hookhouse.spark_replace_keys_sql(source, target, unique_key)) }}
    {%- endif -%}
    {{ return(dbt.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates)) }}
{%- endmacro %}

{#- Rewrite `target` as its rows whose key is not in `source`, then the rows of `source`:
    built in a side table first (Spark cannot overwrite a table it is reading). Returns the
    last statement, which dbt runs as the model's main statement. -#}
{% macro spark_replace_keys_sql(source, target, unique_key) -%}
    {%- set keys = [unique_key] if unique_key is string else unique_key -%}
    {%- set columns = adapter.get_columns_in_relation(target) | map(attribute='quoted') | join(', ') -%}
    {%- set side = target.incorporate(path={'identifier': target.identifier ~ '__hookhouse_rewrite'}) -%}
    {%- do run_query('drop table if exists ' ~ side) -%}
    {%- set rewrite -%}
        create table {{ side }} using parquet as
        select {{ columns }} from {{ target }} as existing
        where not exists (
            select 1 from {{ source }} as recomputed
            where {% for key in keys %}recomputed.{{ key }} = existing.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
        )
        union all
        select {{ columns }} from {{ source }}
    {%- endset -%}
    {%- do run_query(rewrite) -%}
    {%- do run_query('insert overwrite table ' ~ target ~ ' select ' ~ columns ~ ' from ' ~ side) -%}
    {{ return('drop table if exists ' ~ side) }}
{%- endmacro %}
