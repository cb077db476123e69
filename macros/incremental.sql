{#- What an incremental run adds: the events it has not seen.

    Events are immutable and keyed by their content, so the core tables only ever gain rows.
    Every core row carries the ingest batch that first delivered its event (`batch_id`);
    a model's newest batch is its watermark, and a run adds the events first delivered in a
    later batch, however late their event day. Re-running after a failure picks up exactly
    what is missing, and a full rebuild gives the same rows.

    To read little, the scan is also limited to UTC event days (bronze's partitions): the
    days `hookhouse run` names (HOOKHOUSE_EVENT_DAYS, or the `event_days` var; 'none' when
    no event is new); without them (a plain `dbt build`), the newest `lookback_days` days
    already in the model: events arriving later than that are then not picked up until a
    run names their day, as `hookhouse run` always does. -#}
{% macro new_events_filter(batch_column='batch_id', day_column='event_day') -%}
    {%- if is_incremental() and hookhouse.backfill_through_batch() -%}
        {{ batch_column }} <= '{{ hookhouse.backfill_through_batch() }}'
        and {{ hookhouse.rebuilt_days_condition(day_column) }}
    {%- elif is_incremental() -%}
        {{ batch_column }} > (select coalesce(max(batch_id), '') from {{ this }})
        and {{ hookhouse.scan_days_filter(day_column) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The event days an incremental run reads (see new_events_filter). -#}
{% macro scan_days_filter(column='event_day', latest_in_this='max(event_day)') -%}
    {%- set days = hookhouse.rebuilt_days() -%}
    {%- if days == 'none' or days | length > 0 -%}
        {{ hookhouse.rebuilt_days_condition(column) }}
    {%- else -%}
        {{ column }} >= (
            select {{ dbt.dateadd('day', -1 * var('lookback_days') | int, latest_in_this) }}
            from {{ this }}
        )
    {%- endif -%}
{%- endmacro %}

{#- The days a run reads: the `event_days` var, else the HOOKHOUSE_EVENT_DAYS environment
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
    {{ return(hookhouse.days_condition(column, hookhouse.rebuilt_days())) }}
{%- endmacro %}

{#- `column in (the days)`: `days` is a list of ISO dates, 'none' (no day), or empty (every
    day). -#}
{% macro days_condition(column, days) -%}
    {%- if days == 'none' -%}
        1 = 0
    {%- elif days | length > 0 -%}
        {%- if days is string -%}{%- set days = days.split(',') -%}{%- endif -%}
        {{ column }} in ({% for day in days %}cast('{{ day | trim }}' as date){% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- Day-grained models (intermediate.int_recipient_engagement_daily,
    marts.deliverability_daily) rebuild whole UTC event days: a run recomputes every day that
    received an event in a batch newer than the model's newest `built_through_batch`, and
    replaces those days (delete+insert on event_day). Recomputing a day from all its events
    gives what a full build gives, so a nightly run equals a rebuild; its cost follows the
    days that received new events. The scan is limited as in new_events_filter: the days
    `hookhouse run` names, else the newest `lookback_days` days already in the model. -#}
{% macro new_event_days_filter(day_column='event_day') -%}
    {{ hookhouse.days_with_new_events(ref('hook_events'), day_column=day_column) }}
{%- endmacro %}

{#- The days an incremental day-grained model recomputes: those with an event of `events`
    (meeting `condition`, rows aliased `new_event`) in a batch newer than the model's newest
    `built_through_batch`, within the run's scan days; and the days a backfill rebuilt that
    the model has not caught up with (backfilled_days). Every day on a full build. -#}
{% macro days_with_new_events(events, condition='1 = 1', day_column='event_day') -%}
    {%- if is_incremental() -%}
        ((
            {{ hookhouse.scan_days_filter(day_column) }}
            and {{ day_column }} in (
                select new_event.event_day
                from {{ events }} as new_event
                where {{ condition }}
                    and new_event.batch_id > (
                        select coalesce(max(built_through_batch), '') from {{ this }}
                    )
                    and {{ hookhouse.scan_days_filter('new_event.event_day') }}
            )
        )
        {%- if hookhouse.backfilled_days() %}
        or {{ hookhouse.days_condition(day_column, hookhouse.backfilled_days()) }}
        {%- endif %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#- The configuration of those day-grained models. The key is the day alone (a string, not a
    list): dbt-duckdb then deletes `where event_day in (...)`, so rows with a NULL in another
    column (a NULL recipient_domain) are replaced too. -#}
{% macro rebuilt_by_day_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_day',
        partition_by=hookhouse.event_day_partitions(),
        on_schema_change='fail',
    ) }}
{%- endmacro %}

{#- The partitions of a day-grained table: Spark stores it by event day, so that a run
    overwrites the days it rebuilt (macros/adapter_overrides.sql); DuckDB has no partitions. -#}
{% macro event_day_partitions() -%}
    {{ return(adapter.dispatch('event_day_partitions', 'hookhouse')()) }}
{%- endmacro %}
{% macro duckdb__event_day_partitions() -%}{{ return(none) }}{%- endmacro %}
{% macro default__event_day_partitions() -%}{{ return(['event_day']) }}{%- endmacro %}

{#- The newest ingest batch in this incremental model, as a literal (so that a filter on it
    reaches bronze's row-group statistics); '' for an empty table. -#}
{% macro batch_watermark(column='batch_id') -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set result = run_query('select coalesce(max(' ~ column ~ "), '') from " ~ this) -%}
    {{ return(result.columns[0].values()[0]) }}
{%- endmacro %}

{#- A backfill of event days (a partitioned Dagster run) rebuilds them. The run names the days
    (HOOKHOUSE_EVENT_DAYS) and the newest batch the warehouse is built through
    (HOOKHOUSE_BACKFILL_THROUGH_BATCH); every day-partitioned model first deletes its rows of
    those days (this pre-hook, set in dbt_project.yml), then inserts every event of those
    days first delivered up to that batch. Batches after it are left to the next nightly
    run, which appends them as usual, so a backfill never skips new data. -#}
{% macro backfill_through_batch() -%}
    {{ return(env_var('HOOKHOUSE_BACKFILL_THROUGH_BATCH', '') | trim) }}
{%- endmacro %}

{% macro delete_backfilled_days(column='event_day') -%}
    {{ return(adapter.dispatch('delete_backfilled_days', 'hookhouse')(column)) }}
{%- endmacro %}

{#- Spark: nothing to delete first; the backfill overwrites the day partitions
    (macros/adapter_overrides.sql). -#}
{% macro spark__delete_backfilled_days(column) -%}{%- endmacro %}

{% macro default__delete_backfilled_days(column) -%}
    {%- if is_incremental() and hookhouse.backfill_through_batch() -%}
        delete from {{ this }} where {{ hookhouse.rebuilt_days_condition(column) }}
    {%- endif -%}
{%- endmacro %}

{#- The days a backfill rebuilt that the marts have not yet caught up with
    (HOOKHOUSE_BACKFILLED_DAYS, comma-separated dates; empty: none). Marts that rebuild
    part of their rows (the campaign marts) also recompute what those days touch. -#}
{% macro backfilled_days() -%}
    {%- set days = env_var('HOOKHOUSE_BACKFILLED_DAYS', '').split(',') | map('trim') -%}
    {{ return(days | reject('equalto', '') | list) }}
{%- endmacro %}
