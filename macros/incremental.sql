{#- Which UTC event days an incremental run rebuilds.

    `hookhouse run` passes `event_days`: exactly the days that received new events in this
    run's ingest, however late they came, or 'none' when no event is new. Without it (a plain `dbt build`), the newest
    `lookback_days` days already in the table are rebuilt: events arriving up to that many
    days late are picked up; older ones need their day named in `event_days` (a backfill).
    A full refresh rebuilds every day. Days are rebuilt whole (delete+insert by event_day),
    so an incremental run and a full rebuild give the same rows. `latest_in_this` is the
    expression of the newest day already in the model, for models without `column`. -#}
{% macro event_day_filter(column='event_day', latest_in_this=none) -%}
    {%- if is_incremental() -%}
        {%- set days = var('event_days', []) -%}
        {%- if days == 'none' or days | length > 0 -%}
            {{ hookhouse.rebuilt_days_condition(column) }}
        {%- else -%}
            {{ column }} >= (
                select {{ dbt.dateadd('day', -1 * var('lookback_days') | int, latest_in_this or 'max(event_day)') }}
                from {{ this }}
            )
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
