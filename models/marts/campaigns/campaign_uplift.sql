{#- Did the test group beat the control group (contract section 5): one row per
    (account_id, campaign_id) with audience events. A conversion is an event of a type in
    var('conversion_event_types') by the same recipient in the same account, at or after
    the recipient's group assignment and at most var('conversion_window_days') days after
    it, whatever campaign the conversion names (the control group receives no campaign, so
    its conversions cannot name it). Test events are left out. -#}
{%- set test_conversions = 'coalesce(conversion_counts.test_conversions, 0)' %}
{%- set control_conversions = 'coalesce(conversion_counts.control_conversions, 0)' %}
with

audience_events as (
    select
        account_id,
        campaign_id,
        recipient,
        event_type,
        event_at
    from {{ ref('fct_campaign_audience_events') }}
    where not is_test and campaign_id is not null and recipient is not null
),

assignments as (
    -- A recipient's group, from its first assignment in the campaign.
    select
        account_id,
        campaign_id,
        recipient,
        case event_type
            when 'sc_test_group_assign' then 'test'
            else 'control'
        end as audience_group,
        min(event_at) as assigned_at
    from audience_events
    where event_type in ('sc_test_group_assign', 'sc_control_group_assign')
    group by 1, 2, 3, 4
),

conversions as (
    select
        account_id,
        recipient,
        event_at
    from {{ ref('hook_events') }}
    where not is_test
        and recipient is not null
        and event_type in (
            {%- for event_type in var('conversion_event_types') %}
            '{{ event_type }}'{% if not loop.last %},{% endif %}
            {%- endfor %}
        )
),

converted as (
    select distinct
        assignments.account_id,
        assignments.campaign_id,
        assignments.audience_group,
        assignments.recipient
    from assignments
    inner join conversions
        on assignments.account_id = conversions.account_id
        and assignments.recipient = conversions.recipient
        and assignments.assigned_at <= conversions.event_at
        and conversions.event_at <= {{
            dbt.dateadd('day', var('conversion_window_days') | int, 'assignments.assigned_at')
        }}
),

audience as (
    select
        account_id,
        campaign_id,
        count(distinct case when event_type = 'sc_add' then recipient end) as audience,
        count(distinct case when event_type = 'sc_test_group_assign' then recipient end)
            as test_group,
        count(distinct case when event_type = 'sc_control_group_assign' then recipient end)
            as control_group,
        count(distinct case when event_type = 'sc_gcg_suppress' then recipient end)
            as gcg_suppressed
    from audience_events
    group by 1, 2
),

conversion_counts as (
    select
        account_id,
        campaign_id,
        count(case when audience_group = 'test' then 1 end) as test_conversions,
        count(case when audience_group = 'control' then 1 end) as control_conversions
    from converted
    group by 1, 2
),

final as (
    select
        audience.account_id,
        audience.campaign_id,
        audience.audience,
        audience.test_group,
        audience.control_group,
        audience.gcg_suppressed,
        coalesce(conversion_counts.test_conversions, 0) as test_conversions,
        coalesce(conversion_counts.control_conversions, 0) as control_conversions,
        {{ hookhouse.rate(test_conversions, 'audience.test_group') }} as test_conversion_rate,
        {{ hookhouse.rate(control_conversions, 'audience.control_group') }}
            as control_conversion_rate,
        {{ hookhouse.rate(test_conversions, 'audience.test_group') }}
        - {{ hookhouse.rate(control_conversions, 'audience.control_group') }} as uplift
    from audience
    left join conversion_counts
        on audience.account_id = conversion_counts.account_id
        and audience.campaign_id = conversion_counts.campaign_id
)

select * from final
