{{ hookhouse.rebuilt_by_day_config() }}
{#- Loyalty activity per account, loyalty program and UTC day: one column (or a count and
    a points sum) per loyalty event type of the event-types document. Points are summed only
    for the points_* types; loyalty_id is NULL for events that name no program. -#}
with

loyalty_events as (
    {{ hookhouse.activity_events('fct_loyalty_events', ['loyalty_id', 'program_name', 'points']) }}
),

final as (
    select
        account_id,
        loyalty_id,
        event_day,
        max(program_name) as program_name,
        {{ hookhouse.count_of(['loyalty_register']) }} as registrations,
        {{ hookhouse.count_of(['loyalty_unregister']) }} as unregistrations,
        {{ hookhouse.count_of(['level_up']) }} as level_ups,
        {{ hookhouse.count_of(['level_down']) }} as level_downs,
        {{ hookhouse.count_of(['points_accrual']) }} as accruals,
        {{ hookhouse.sum_of('points', ['points_accrual']) }} as points_accrued,
        {{ hookhouse.count_of(['points_activate']) }} as activations,
        {{ hookhouse.sum_of('points', ['points_activate']) }} as points_activated,
        {{ hookhouse.count_of(['points_redeem']) }} as redemptions,
        {{ hookhouse.sum_of('points', ['points_redeem']) }} as points_redeemed,
        {{ hookhouse.count_of(['points_expire']) }} as expirations,
        {{ hookhouse.sum_of('points', ['points_expire']) }} as points_expired,
        {{ hookhouse.count_of(['points_cancel_accrual']) }} as accrual_cancellations,
        {{ hookhouse.sum_of('points', ['points_cancel_accrual']) }} as points_accrual_cancelled,
        {{ hookhouse.count_of(['points_cancel_redeem']) }} as redemption_cancellations,
        {{ hookhouse.sum_of('points', ['points_cancel_redeem']) }} as points_redemption_cancelled,
        {{ hookhouse.count_of(['points_q_reset']) }} as resets,
        {{ hookhouse.sum_of('points', ['points_q_reset']) }} as points_reset,
        count(*) as loyalty_events,
        count(distinct recipient) as members_active,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(batch_id) as built_through_batch
    from loyalty_events
    group by account_id, loyalty_id, event_day
)

select * from final
