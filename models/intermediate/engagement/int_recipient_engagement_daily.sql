{{ hookhouse.rebuilt_by_day_config() }}
{#- What each recipient received and did on each UTC day, across the messaging channels:
    the small, incremental source of marts.profile_engagement, whose 30- and 90-day windows
    slide every day. A run recomputes the days that received new events (see
    new_event_days_filter in macros/incremental.sql). -#}
with

events as (
    select
        account_id,
        recipient,
        role,
        batch_id,
        event_at,
        event_day
    from {{ ref('hook_events') }}
    where not is_test
        and recipient is not null
        and channel in (
            'email', 'sms', 'push', 'telegram_bot', 'telegram_group', 'whatsapp', 'viber', 'notify'
        )
        and role in ('send', 'open', 'unique_open', 'click', 'unique_click', 'read')
        and {{ hookhouse.new_event_days_filter() }}
),

daily as (
    select
        account_id,
        recipient,
        event_day,
        count(case when role = 'send' then 1 end) as sends,
        count(case when role = 'open' then 1 end) as opens,
        count(case when role = 'click' then 1 end) as clicks,
        min(case when role = 'send' then event_at end) as first_sent_at,
        max(case when role = 'send' then event_at end) as last_sent_at,
        max(case when role in ('open', 'unique_open') then event_at end) as last_opened_at,
        max(case when role in ('click', 'unique_click') then event_at end) as last_clicked_at,
        max(case when role <> 'send' then event_at end) as last_engaged_at,
        max(batch_id) as built_through_batch
    from events
    group by account_id, recipient, event_day
),

final as (
    select
        account_id,
        recipient,
        event_day,
        sends,
        opens,
        clicks,
        first_sent_at,
        last_sent_at,
        last_opened_at,
        last_clicked_at,
        last_engaged_at,
        built_through_batch
    from daily
)

-- Stored in day order: a run that rebuilds a few days then reads only their row groups.
select * from final  -- noqa: CV13
order by event_day, account_id, recipient
