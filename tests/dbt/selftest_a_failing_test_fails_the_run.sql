{#- A canary: returns no row, unless a run passes --vars '{hookhouse_selftest_failure: true}'
    (tests/test_cli.py does) to check that a failing dbt test fails `hookhouse run` with a
    message naming the test and the model. -#}
select event_id
from {{ ref('hook_events') }}
where {{ 'true' if var('hookhouse_selftest_failure', false) else 'false' }}
limit 1
