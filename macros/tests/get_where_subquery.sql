{#- Tests of incremental models check the days a run rebuilt, not the whole history, so a
    nightly run's cost follows the new data. dbt_project.yml gives those tests
    `where: "__rebuilt_days__"`; this replaces the marker at run time: the rebuilt days when
    `hookhouse run` names them, nothing when no day is new, every row otherwise (a full
    refresh or a plain `dbt build`). An event's day is fixed by its content, so uniqueness
    and relationships hold across days when they hold within each rebuilt day. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- if '__rebuilt_days__' in where -%}
            {%- set where = where | replace('__rebuilt_days__', hookhouse.rebuilt_days_condition()) -%}
        {%- endif -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
