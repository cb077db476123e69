{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['account_id', 'campaign_id', 'channel', 'recipient'],
    on_schema_change='fail',
) }}
{#- Who did what in each campaign: one row per (account, campaign, channel, recipient) with
    the first time the recipient opened, clicked, read, skimmed, glanced, unsubscribed and
    complained. marts.campaign_performance counts distinct recipients from here.

    Incremental: a run takes the events of ingest batches newer than the table's and merges
    them into the rows of their recipients (earliest time wins; a delete+insert of the
    touched rows), so a night costs in proportion to its events, whatever the campaign's
    age. -#}
with

new_events as (
    {{ hookhouse.campaign_events(
        "recipient is not null and role in ('open', 'unique_open', 'click', 'unique_click',"
        ~ " 'read', 'skim', 'glance', 'unsubscribe', 'complain')"
        ~ (" and batch_id > (select coalesce(max(batch_id), '') from " ~ this ~ ")"
           if is_incremental() else "")
    ) }}
),

new_rows as (
    select
        account_id,
        campaign_id,
        channel,
        recipient,
        min(case when role in ('open', 'unique_open') then event_at end) as first_opened_at,
        min(case when role in ('click', 'unique_click') then event_at end) as first_clicked_at,
        min(case when role = 'read' then event_at end) as first_read_at,
        min(case when role = 'skim' then event_at end) as first_skimmed_at,
        min(case when role = 'glance' then event_at end) as first_glanced_at,
        min(case when role = 'unsubscribe' then event_at end) as first_unsubscribed_at,
        min(case when role = 'complain' then event_at end) as first_complained_at,
        max(batch_id) as batch_id
    from new_events
    group by account_id, campaign_id, channel, recipient
),

merged as (
    select * from new_rows
    {%- if is_incremental() %}
    union all
    select
        account_id,
        campaign_id,
        channel,
        recipient,
        first_opened_at,
        first_clicked_at,
        first_read_at,
        first_skimmed_at,
        first_glanced_at,
        first_unsubscribed_at,
        first_complained_at,
        batch_id
    from {{ this }} as known
    where exists (
            select 1
            from new_rows
            where new_rows.account_id = known.account_id
                and new_rows.campaign_id = known.campaign_id
                and new_rows.channel = known.channel
                and new_rows.recipient = known.recipient
        )
    {%- endif %}
),

final as (
    select
        account_id,
        campaign_id,
        channel,
        recipient,
        min(first_opened_at) as first_opened_at,
        min(first_clicked_at) as first_clicked_at,
        min(first_read_at) as first_read_at,
        min(first_skimmed_at) as first_skimmed_at,
        min(first_glanced_at) as first_glanced_at,
        min(first_unsubscribed_at) as first_unsubscribed_at,
        min(first_complained_at) as first_complained_at,
        max(batch_id) as batch_id
    from merged
    group by account_id, campaign_id, channel, recipient
)

select * from final
