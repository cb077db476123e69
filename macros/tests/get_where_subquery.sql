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

{#- The days to rebuild: the `event_days` var, else the HOOKHOUSE_EVENT_DAYS environment
    variable (comma-separated dates, or `none`), which is how `hookhouse run` passes them:
    unlike --vars, it does not make dbt parse the whole project again. -#}
{% macro rebuilt_days() -%}
    {%- set days = var('event_days', env_var('HOOKHOUSE_EVENT_DAYS', '')) -%}
    {%- if days is string -%}
        {%- set days = days.strip() -%}
        {%- if days == 'none' -%}{{ return('none') }}{%- endif -%}
        {%- set days = days.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {{ return(days) }}
{%- endmacro %}

{% macro rebuilt_days_condition(column='event_day') -%}
    {%- set days = hookhouse.rebuilt_days() -%}
    {%- if days == 'none' -%}
        1 = 0
    {%- elif days | length > 0 -%}
        {%- if days is string -%}{%- set days = days.split(',') -%}{%- endif -%}
        {{ column }} in ({% for day in days %}cast('{{ day | trim }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
