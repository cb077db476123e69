{#- The campaign funnel of contract section 5 over the campaign events that meet
    `condition`, grouped by `dimensions` (marts.campaign_daily: per campaign, channel and
    day). Counts count events; the unique columns count distinct recipients (profile_id,
    else _xxh; events with neither count in the totals but in no unique column). -#}
{% macro campaign_metrics(dimensions, condition='1 = 1') -%}
with

events as (
    {{ hookhouse.campaign_events(condition) }}
),

counted as (
    select
        {{ dimensions | join(',\n        ') }},
        count(case when role = 'send' then 1 end) as sent,
        count(case when role = 'deliver' then 1 end) as delivered,
        count(case when role = 'undeliver' then 1 end) as undelivered,
        count(case when role = 'hard_bounce' then 1 end) as hard_bounces,
        count(case when role = 'soft_bounce' then 1 end) as soft_bounces,
        count(case when role = 'suppress' then 1 end) as suppressed,
        count(case when role = 'open' then 1 end) as opens,
        count(distinct case when role in ('open', 'unique_open') then recipient end) as unique_opens,
        count(case when role = 'click' then 1 end) as clicks,
        count(distinct case when role in ('click', 'unique_click') then recipient end) as unique_clicks,
        count(distinct case when role = 'read' then recipient end) as reads,
        count(distinct case when role = 'skim' then recipient end) as skims,
        count(distinct case when role = 'glance' then recipient end) as glances,
        count(distinct case when role = 'unsubscribe' then recipient end) as unsubscribes,
        count(distinct case when role = 'complain' then recipient end) as complaints,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(batch_id) as built_through_batch
    from events
    group by {{ dimensions | join(', ') }}
),

final as (
    select
        {{ dimensions | join(',\n        ') }},
        {{ hookhouse.campaign_funnel_columns() }},
        built_through_batch
    from counted
)

select * from final
{%- endmacro %}

{#- The funnel columns of contract section 5 in their published order: the counts, their
    rates, and the first and last event, from a relation that has the counts. -#}
{% macro campaign_funnel_columns() -%}
        sent,
        delivered,
        undelivered,
        hard_bounces,
        soft_bounces,
        suppressed,
        opens,
        unique_opens,
        clicks,
        unique_clicks,
        reads,
        skims,
        glances,
        unsubscribes,
        complaints,
        {{ hookhouse.rate('delivered', 'sent') }} as delivery_rate,
        {{ hookhouse.rate('unique_opens', 'delivered') }} as unique_open_rate,
        {{ hookhouse.rate('unique_clicks', 'delivered') }} as unique_click_rate,
        {{ hookhouse.rate('unique_clicks', 'unique_opens') }} as click_to_open_rate,
        {{ hookhouse.rate('hard_bounces', 'sent') }} as hard_bounce_rate,
        {{ hookhouse.rate('unsubscribes', 'delivered') }} as unsubscribe_rate,
        {{ hookhouse.rate('complaints', 'delivered') }} as complaint_rate,
        first_event_at,
        last_event_at
{%- endmacro %}

{#- numerator / denominator as a DOUBLE (not dbt.type_float(), 4-byte on DuckDB); NULL when
    the denominator is 0. -#}
{% macro rate(numerator, denominator) -%}
    case when {{ denominator }} = 0 then null
        else cast({{ numerator }} as double) / {{ denominator }} end
{%- endmacro %}

{#- The events campaign marts count (contract section 5): in a campaign
    (event_data.campaign_id), on one of the eight messaging channels, not from a test send;
    core.hook_events already holds each event once. `condition` narrows them further. -#}
{% macro campaign_events(condition='1 = 1') -%}
    select
        account_id,
        campaign_id,
        channel,
        role,
        event_type,
        recipient,
        link_url,
        batch_id,
        event_at,
        event_day
    from {{ ref('hook_events') }} as campaign_event
    where campaign_id is not null
        and not is_test
        and channel in (
            'email', 'sms', 'push', 'telegram_bot', 'telegram_group', 'whatsapp', 'viber', 'notify'
        )
        and {{ condition }}
{%- endmacro %}

{#- For a model rebuilt campaign by campaign (campaign_mart_config): an incremental run
    recomputes the campaigns that gained events since the model's last build
    (`built_through_batch`), or that have events on days a backfill rebuilt
    (macros/incremental.sql), and replaces their rows, so the result equals a full rebuild.
    The condition applies to campaign_events(), whose rows are `campaign_event`. -#}
{% macro touched_campaigns_condition() -%}
    {%- if is_incremental() -%}
    exists (
        select 1
        from {{ ref('hook_events') }} as new_event
        where (
            new_event.batch_id > (
                select coalesce(max(built_through_batch), '') from {{ this }}
            )
            {%- if hookhouse.backfilled_days() %}
            or {{ hookhouse.days_condition('new_event.event_day', hookhouse.backfilled_days()) }}
            {%- endif %}
        )
            and new_event.account_id = campaign_event.account_id
            and new_event.campaign_id = campaign_event.campaign_id
    )
    {%- else -%}
    1 = 1
    {%- endif -%}
{%- endmacro %}

{% macro campaign_mart_config() -%}
    {{ config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['account_id', 'campaign_id'],
        on_schema_change='fail',
    ) }}
{%- endmacro %}
