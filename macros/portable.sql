{#- Engine-specific SQL, dispatched: DuckDB here, Spark as the portable default. JSON access:
    DuckDB's JSON functions here, Spark's
    get_json_object / from_json as the portable default. Paths are JSONPath ('$.a.b'). -#}

{% macro json_text(json, path) -%}
    {{ return(adapter.dispatch('json_text', 'hookhouse')(json, path)) }}
{%- endmacro %}
{% macro duckdb__json_text(json, path) -%}
    json_extract_string({{ json }}, '{{ path }}')
{%- endmacro %}
{% macro default__json_text(json, path) -%}
    get_json_object({{ json }}, '{{ path }}')
{%- endmacro %}

{#- A typed scalar: NULL when absent or not convertible (never a failed build). -#}
{% macro json_typed(json, path, type) -%}
    {{ hookhouse.try_cast(hookhouse.json_text(json, path), type) }}
{%- endmacro %}

{% macro try_cast(expression, type) -%}
    {{ return(adapter.dispatch('try_cast', 'hookhouse')(expression, type)) }}
{%- endmacro %}
{% macro duckdb__try_cast(expression, type) -%}
    try_cast({{ expression }} as {{ type }})
{%- endmacro %}
{% macro default__try_cast(expression, type) -%}
    {#- Spark 3.2 and later (Spark 4 casts in ANSI mode: a plain cast fails the query). -#}
    try_cast({{ expression }} as {{ hookhouse.spark_type(type) }})
{%- endmacro %}

{#- A FROM-clause fragment that turns each element of a JSON array column into a row,
    exposing it as `element` (JSON text). Rows whose array is NULL or empty drop out. -#}
{% macro unnest_json_array(json_column) -%}
    {{ return(adapter.dispatch('unnest_json_array', 'hookhouse')(json_column)) }}
{%- endmacro %}
{% macro duckdb__unnest_json_array(json_column) -%}
    cross join unnest(json_extract({{ json_column }}, '$[*]')) as elements(element)
{%- endmacro %}
{% macro default__unnest_json_array(json_column) -%}
    lateral view explode(from_json({{ json_column }}, 'array<string>')) elements as element
{%- endmacro %}

{#- A timestamp with time zone as a plain TIMESTAMP in UTC, whatever the session's zone:
    every hookhouse timestamp from staging on is UTC without a zone. -#}
{% macro utc_timestamp(expression) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'hookhouse')(expression)) }}
{%- endmacro %}
{% macro duckdb__utc_timestamp(expression) -%}
    timezone('UTC', {{ expression }})
{%- endmacro %}
{% macro default__utc_timestamp(expression) -%}
    cast({{ expression }} as timestamp)
{%- endmacro %}

{#- A FROM-clause fragment: one row per day from start_day to end_day (DATE columns of the
    relation it follows), exposed as `day`. -#}
{% macro day_series(start_day, end_day) -%}
    {{ return(adapter.dispatch('day_series', 'hookhouse')(start_day, end_day)) }}
{%- endmacro %}
{% macro duckdb__day_series(start_day, end_day) -%}
    cross join unnest(generate_series({{ start_day }}, {{ end_day }}, interval 1 day)) as days(day)
{%- endmacro %}
{% macro default__day_series(start_day, end_day) -%}
    lateral view explode(sequence({{ start_day }}, {{ end_day }}, interval 1 day)) days as day
{%- endmacro %}

{#- Parse a hook record once into a typed struct: `event_data` with the known fields of
    event_data_fields(), and `subscription` as a list of typed elements. A value of another
    type, or an absent key, is NULL (never a failed build). Parsing once matters: each
    separate JSON path extraction parses the whole record again (10x slower measured). -#}
{% macro parse_record(json) -%}
    {{ return(adapter.dispatch('parse_record', 'hookhouse')(json)) }}
{%- endmacro %}

{% macro duckdb__parse_record(json) -%}
    {%- set event_data = {} -%}
    {%- for field in hookhouse.event_data_fields() -%}
        {%- do event_data.update({field.name: field.type | upper}) -%}
    {%- endfor -%}
    {%- set structure = {
        'event_data': event_data,
        'subscription': [hookhouse.subscription_element_fields()],
    } -%}
    json_transform({{ json }}, '{{ tojson(structure) }}')
{%- endmacro %}

{% macro default__parse_record(json) -%}
    {%- set spark_types = {'varchar': 'string', 'bigint': 'bigint', 'double': 'double', 'boolean': 'boolean'} -%}
    {%- set event_data = [] -%}
    {%- for field in hookhouse.event_data_fields() -%}
        {%- do event_data.append(field.name ~ ':' ~ spark_types[field.type]) -%}
    {%- endfor -%}
    {%- set element = [] -%}
    {%- for name, type in hookhouse.subscription_element_fields().items() -%}
        {%- do element.append(name ~ ':' ~ spark_types[type | lower]) -%}
    {%- endfor -%}
    from_json({{ json }}, 'struct<event_data:struct<{{ event_data | join(",") }}>,subscription:array<struct<{{ element | join(",") }}>>>')
{%- endmacro %}

{#- The first element of an array (lists are 1-based in DuckDB, 0-based in Spark). -#}
{% macro first_element(array) -%}
    {{ return(adapter.dispatch('first_element', 'hookhouse')(array)) }}
{%- endmacro %}
{% macro duckdb__first_element(array) -%}{{ array }}[1]{%- endmacro %}
{% macro default__first_element(array) -%}{{ array }}[0]{%- endmacro %}

{#- Several JSON values of a record in one parse, as a list of JSON texts (one per path);
    take each with list_item(list, i). -#}
{% macro json_values(json, paths) -%}
    {{ return(adapter.dispatch('json_values', 'hookhouse')(json, paths)) }}
{%- endmacro %}
{% macro duckdb__json_values(json, paths) -%}
    json_extract({{ json }}, [{% for path in paths %}'{{ path }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}
{% macro default__json_values(json, paths) -%}
    array({% for path in paths %}get_json_object({{ json }}, '{{ path }}'){% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{#- Element `index` (0-based) of a list. -#}
{% macro list_item(list, index) -%}
    {{ return(adapter.dispatch('list_item', 'hookhouse')(list, index)) }}
{%- endmacro %}
{% macro duckdb__list_item(list, index) -%}{{ list }}[{{ index + 1 }}]{%- endmacro %}
{% macro default__list_item(list, index) -%}{{ list }}[{{ index }}]{%- endmacro %}

{#- A JSON value that is JSON's `null` (`"custom_data": null` in a record) as SQL NULL, as an
    absent key is: DuckDB's json_extract gives the JSON value `null`, Spark's get_json_object
    already gives NULL. -#}
{% macro sql_null_for_json_null(json) -%}
    {{ return(adapter.dispatch('sql_null_for_json_null', 'hookhouse')(json)) }}
{%- endmacro %}
{% macro duckdb__sql_null_for_json_null(json) -%}nullif({{ json }}, 'null'){%- endmacro %}
{% macro default__sql_null_for_json_null(json) -%}{{ json }}{%- endmacro %}
