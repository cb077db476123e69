{#- A canary on a mart: returns no row, unless a run passes
    --vars '{hookhouse_selftest_mart_failure: true}' (tests/test_dbt_handoff.py does) to check
    that a mart's failing test, run by the nightly run's one dbt invocation, fails the
    `dbt_marts` step and names the test and the mart. Enabled only in the test suite
    (HOOKHOUSE_DBT_SELFTESTS=1, set by tests/conftest.py): not a production asset check. -#}
{{ config(enabled=env_var('HOOKHOUSE_DBT_SELFTESTS', '') == '1') }}

select campaign_id
from {{ ref('campaign_performance') }}
where {{ 'true' if var('hookhouse_selftest_mart_failure', false) else 'false' }}
limit 1
