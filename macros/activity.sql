{#- The activity marts (promo codes, loyalty, pop-ups, campaign launches): which events they
    read, how a run limits itself to what changed, and the counting expressions they share.

    Per-day marts (promocode_daily, loyalty_daily, popup_funnel) are rebuilt day by day: a
    run replaces the UTC event days that gained non-test events of the mart's family since
    its last build (delete+insert on event_day: rebuilt_by_day_config), recomputing those
    days from all their events, so distinct counts stay exact and the result equals a full
    rebuild.
    `built_through_batch` (the newest ingest batch counted in a row) is the watermark.
    campaign_launches is rebuilt launch by launch instead (see launch_scoped below). -#}

{#- The events a per-day activity mart counts: the family fact's non-test events (each
    event is there once), on a full build all of them, on an incremental run those of the
    days to rebuild. `columns` are the fact's columns the mart needs beyond the envelope. -#}
{% macro activity_events(family_model, columns) -%}
    select
        account_id,
        event_type,
        recipient,
        {%- for column in columns %}
        {{ column }},
        {%- endfor %}
        batch_id,
        event_at,
        event_day
    from {{ ref(family_model) }}
    where not is_test
        -- Only the days that gained events since this mart's last build (or that a backfill
        -- rebuilt); the day list of the run (or the lookback) bounds both scans.
        and {{ hookhouse.days_with_new_events(ref(family_model), 'not new_event.is_test') }}
{%- endmacro %}

{#- How many of the row's events are of these types. -#}
{% macro count_of(event_types) -%}
    count(case when event_type in ({{ hookhouse.quoted_list(event_types) }}) then 1 end)
{%- endmacro %}

{#- How many distinct recipients (profile_id, else _xxh) have an event of these types; an
    event with neither counts in no distinct column. -#}
{% macro recipients_with(event_types) -%}
    count(distinct case when event_type in ({{ hookhouse.quoted_list(event_types) }}) then recipient end)
{%- endmacro %}

{#- The sum of `value` over the row's events of these types; 0 when there are none, NULL
    values (a field the event does not carry) adding nothing. -#}
{% macro sum_of(value, event_types) -%}
    coalesce({{ hookhouse.ordered_sum('case when event_type in (' ~ hookhouse.quoted_list(event_types) ~ ') then ' ~ value ~ ' end') }}, 0)
{%- endmacro %}

{#- The sum of a DOUBLE expression, added in the order of its values: a plain sum of doubles
    adds them in whatever order the engine's threads meet them, so a nightly run and a rebuild
    could differ in the last bits. NULL when every value is NULL, as sum() is. -#}
{% macro ordered_sum(expression) -%}
    {{ return(adapter.dispatch('ordered_sum', 'hookhouse')(expression)) }}
{%- endmacro %}
{% macro duckdb__ordered_sum(expression) -%}
    sum({{ expression }} order by {{ expression }})
{%- endmacro %}
{% macro default__ordered_sum(expression) -%}
    {#- Spark: no ordered aggregates; fold the sorted values. -#}
    case when count({{ expression }}) > 0 then aggregate(
        array_sort(collect_list({{ expression }})), cast(0 as double), (total, x) -> total + x
    ) end
{%- endmacro %}

{% macro quoted_list(values) -%}
    {%- for value in values %}'{{ value }}'{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}

{#- FROM and WHERE of campaign_launches' inputs: the non-test events of `model` that name a
    campaign and a launch; on an incremental run only those of the launches the model's
    `touched_launches` CTE lists (launches with events in batches the mart has not seen). -#}
{% macro launch_scoped(model, alias) -%}
    from {{ ref(model) }} as {{ alias }}
    {%- if is_incremental() %}
    inner join touched_launches
        on {{ alias }}.account_id = touched_launches.account_id
        and {{ alias }}.campaign_id = touched_launches.campaign_id
        and {{ alias }}.launch_id = touched_launches.launch_id
    {%- endif %}
    where not {{ alias }}.is_test
        and {{ alias }}.campaign_id is not null
        and {{ alias }}.launch_id is not null
{%- endmacro %}
