{{ hookhouse.rebuilt_by_day_config() }}
{#- The pop-up funnel per account, pop-up and UTC day: events of each step and the distinct
    visitors (recipients) who reached it, with rates over the visitors shown the pop-up. -#}
with

popup_events as (
    {{ hookhouse.activity_events('fct_popup_events', ['popup_id', 'popup_name']) }}
),

counted as (
    select
        account_id,
        popup_id,
        event_day,
        max(popup_name) as popup_name,
        {{ hookhouse.count_of(['popup_open']) }} as shown,
        {{ hookhouse.count_of(['popup_click']) }} as clicked,
        {{ hookhouse.count_of(['popup_post']) }} as submitted,
        {{ hookhouse.count_of(['popup_bounce']) }} as submit_failures,
        {{ hookhouse.count_of(['popup_close']) }} as closed,
        {{ hookhouse.count_of(['popup_error']) }} as errors,
        {{ hookhouse.count_of(['popup_custom']) }} as custom_events,
        {{ hookhouse.recipients_with(['popup_open']) }} as visitors_shown,
        {{ hookhouse.recipients_with(['popup_click']) }} as visitors_clicked,
        {{ hookhouse.recipients_with(['popup_post']) }} as visitors_submitted,
        {{ hookhouse.recipients_with(['popup_close']) }} as visitors_closed,
        {{ hookhouse.recipients_with(['popup_error']) }} as visitors_with_errors,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(batch_id) as built_through_batch
    from popup_events
    group by account_id, popup_id, event_day
),

final as (
    select
        account_id,
        popup_id,
        event_day,
        popup_name,
        shown,
        clicked,
        submitted,
        submit_failures,
        closed,
        errors,
        custom_events,
        visitors_shown,
        visitors_clicked,
        visitors_submitted,
        visitors_closed,
        visitors_with_errors,
        {{ hookhouse.rate('visitors_clicked', 'visitors_shown') }} as click_rate,
        {{ hookhouse.rate('visitors_submitted', 'visitors_shown') }} as submit_rate,
        {{ hookhouse.rate('visitors_closed', 'visitors_shown') }} as close_rate,
        {{ hookhouse.rate('submit_failures', '(submitted + submit_failures)') }}
            as submit_failure_rate,
        first_event_at,
        last_event_at,
        built_through_batch
    from counted
)

select * from final
