{{ hookhouse.campaign_mart_config() }}
{#- Clicks per link (contract section 5): click events on the URL, and distinct recipients
    with a click or unique-click event on it. Click events without a link_url are left out. -#}
with

clicks as (
    {{ hookhouse.campaign_events(
        "role in ('click', 'unique_click') and link_url is not null and "
        ~ hookhouse.touched_campaigns_condition()
    ) }}
),

final as (
    select
        account_id,
        campaign_id,
        channel,
        link_url,
        count(case when role = 'click' then 1 end) as clicks,
        count(distinct recipient) as unique_clicks,
        max(batch_id) as built_through_batch
    from clicks
    group by account_id, campaign_id, channel, link_url
)

select * from final
