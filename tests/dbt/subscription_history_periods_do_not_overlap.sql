-- Each subscription's periods follow one another: a period ends exactly where the next one
-- starts, only the last one is current, and no two neighbours hold the same status.
with ordered as (
    select
        subscription_key,
        status,
        valid_from,
        valid_to,
        is_current,
        lead(valid_from) over (partition by subscription_key order by valid_from) as next_from,
        lead(status) over (partition by subscription_key order by valid_from) as next_status
    from {{ ref('subscription_history') }}
)
select *
from ordered
where (next_from is null and (valid_to is not null or not is_current))
   or (next_from is not null and (valid_to is null or valid_to <> next_from or is_current))
   or status = next_status
