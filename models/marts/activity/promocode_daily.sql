{{ hookhouse.rebuilt_by_day_config() }}
{#- Promo codes per account, UTC day and issuing campaign: codes attached (issued),
    activated and detached. campaign_id is NULL for the codes whose event names no campaign
    (issued outside a campaign): one row per (account_id, event_day, campaign_id), NULL a
    value of its own. -#}
with

promocode_events as (
    {{ hookhouse.activity_events('fct_promocode_events', ['campaign_id', 'order_amount']) }}
),

final as (
    select
        account_id,
        event_day,
        campaign_id,
        {{ hookhouse.count_of(['promocode_attach']) }} as codes_attached,
        {{ hookhouse.count_of(['promocode_activate']) }} as codes_activated,
        {{ hookhouse.count_of(['promocode_detach']) }} as codes_detached,
        {{ hookhouse.recipients_with(['promocode_attach']) }} as recipients_attached,
        {{ hookhouse.recipients_with(['promocode_activate']) }} as recipients_activated,
        {{ hookhouse.ordered_sum(
            "case when event_type = 'promocode_activate' then order_amount end"
        ) }} as activated_order_amount,
        count(case when event_type = 'promocode_activate' and order_amount is not null then 1 end)
            as activations_with_order_amount,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at,
        max(batch_id) as built_through_batch
    from promocode_events
    group by account_id, event_day, campaign_id
)

select * from final
