{#- A canary: returns no row, unless a run passes --vars '{hookhouse_selftest_failure: true}'
    (tests/test_cli.py does) to check that a failing dbt test fails `hookhouse run` with a
    message naming the test and the model. Enabled only in the test suite
    (HOOKHOUSE_DBT_SELFTESTS=1, set by tests/conftest.py): not a production asset check. -#}
{{ config(enabled=env_var('HOOKHOUSE_DBT_SELFTESTS', '') == '1') }}

select event_id
from {{ ref('hook_events') }}
where {{ 'true' if var('hookhouse_selftest_failure', false) else 'false' }}
limit 1
