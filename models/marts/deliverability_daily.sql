{{ hookhouse.rebuilt_by_day_config() }}
{#- Email deliverability by recipient domain and UTC day: one row per (account_id,
    recipient_domain, event_day). The domain is core's recipient_domain (macro
    email_domain: the lower-cased part after the '@' of the address in the event's
    subscription element); the address never leaves core. Email only: a domain belongs to
    an email address. Email events without an address count under recipient_domain NULL,
    so a day's rows add up to all its email events. A run replaces the days that received
    new events (new_event_days_filter in macros/incremental.sql). -#}
with

email_events as (
    select
        account_id,
        recipient_domain,
        role,
        batch_id,
        event_day
    from {{ ref('hook_events') }}
    where not is_test
        and channel = 'email'
        and role in (
            'send', 'deliver', 'undeliver', 'hard_bounce', 'soft_bounce', 'suppress', 'complain'
        )
        and {{ hookhouse.new_event_days_filter() }}
),

counted as (
    select
        account_id,
        recipient_domain,
        event_day,
        count(case when role = 'send' then 1 end) as sent,
        count(case when role = 'deliver' then 1 end) as delivered,
        count(case when role = 'undeliver' then 1 end) as undelivered,
        count(case when role = 'hard_bounce' then 1 end) as hard_bounces,
        count(case when role = 'soft_bounce' then 1 end) as soft_bounces,
        count(case when role = 'suppress' then 1 end) as suppressed,
        count(case when role = 'complain' then 1 end) as complaints,
        max(batch_id) as built_through_batch
    from email_events
    group by account_id, recipient_domain, event_day
),

final as (
    select
        account_id,
        recipient_domain,
        event_day,
        sent,
        delivered,
        undelivered,
        hard_bounces,
        soft_bounces,
        suppressed,
        complaints,
        {{ hookhouse.rate('delivered', 'sent') }} as delivery_rate,
        {{ hookhouse.rate('hard_bounces', 'sent') }} as hard_bounce_rate,
        {{ hookhouse.rate('soft_bounces', 'sent') }} as soft_bounce_rate,
        {{ hookhouse.rate('undelivered', 'sent') }} as undelivered_rate,
        {{ hookhouse.rate('complaints', 'delivered') }} as complaint_rate,
        built_through_batch
    from counted
)

-- Stored in day order: a run that rebuilds a few days then reads only their row groups.
select * from final  -- noqa: CV13
order by event_day, account_id, recipient_domain
