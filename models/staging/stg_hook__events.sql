{#- Typed, de-duplicated hook events: one row per distinct event (event_key), the catalog
    joined, the known event_data fields extracted, and the first subscription element
    flattened. A view: consumers filter it by event_day, which reaches bronze's partitions. -#}
with

bronze as (
    select * from {{ source('bronze', 'hook_events') }}
),

deliveries as (
    select
        *,
        row_number() over (
            partition by event_day, event_key
            order by batch_id, source_file, position
        ) as delivery_rank,
        count(*) over (partition by event_day, event_key) as deliveries
    from bronze
),

first_deliveries as (
    -- An event's key fixes its event_date, so every delivery of it is on the same day.
    select * from deliveries
    where delivery_rank = 1
),

{{ hookhouse.staged_events_ctes('first_deliveries') }}

select * from staged
