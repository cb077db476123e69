"""The pure builders around dbt: which days a run names, its arguments, its failure text."""

from __future__ import annotations

from datetime import date

from orchestration.defs.dbt.failures import describe_failures
from orchestration.warehouse.build_plan import (
    BuildPlan,
    backfilled_days_env,
    dbt_build_args,
    event_days_env,
)


def test_a_plan_with_new_days_names_them_in_the_environment() -> None:
    plan = BuildPlan((date(2026, 10, 1), date(2026, 10, 30)), "20261031T000000-aaaa")
    assert event_days_env(plan) == {"HOOKHOUSE_EVENT_DAYS": "2026-10-01,2026-10-30"}
    assert dbt_build_args(plan) == ["build"]


def test_a_plan_without_new_days_names_none() -> None:
    assert event_days_env(BuildPlan((), "b1")) == {"HOOKHOUSE_EVENT_DAYS": "none"}


def test_a_full_refresh_names_no_day_and_says_so() -> None:
    plan = BuildPlan((date(2026, 10, 1),), "b1", full_refresh=True)
    assert event_days_env(plan) == {}
    assert dbt_build_args(plan) == ["build", "--full-refresh"]


def test_extra_vars_are_passed_as_json() -> None:
    args = dbt_build_args(BuildPlan((), None), {"conversion_window_days": 14})
    assert args == ["build", "--vars", '{"conversion_window_days": 14}']


def test_failures_name_the_test_and_the_model_it_reads() -> None:
    manifest = {
        "nodes": {
            "test.hookhouse.unique_hook_events_event_id.abc": {
                "resource_type": "test",
                "name": "unique_hook_events_event_id",
                "depends_on": {"nodes": ["model.hookhouse.hook_events"]},
            },
            "model.hookhouse.hook_events": {
                "resource_type": "model",
                "name": "hook_events",
                "schema": "core",
                "alias": "hook_events",
            },
            "model.hookhouse.subscription_daily": {
                "resource_type": "model",
                "name": "subscription_daily",
                "schema": "marts",
            },
        },
        "unit_tests": {
            "unit_test.hookhouse.subscription_history.ties": {
                "resource_type": "unit_test",
                "name": "ties",
                "model": "subscription_history",
            },
        },
    }
    run_results = {
        "results": [
            {"unique_id": "model.hookhouse.hook_events", "status": "success", "message": "OK"},
            {
                "unique_id": "test.hookhouse.unique_hook_events_event_id.abc",
                "status": "fail",
                "message": "Got 3 results, configured to fail if != 0",
            },
            {
                "unique_id": "unit_test.hookhouse.subscription_history.ties",
                "status": "fail",
                "message": "actual differs from expected",
            },
            {
                "unique_id": "model.hookhouse.subscription_daily",
                "status": "error",
                "message": "Binder Error:\n  column x not found",
            },
        ]
    }
    assert describe_failures(run_results, manifest) == [
        "test unique_hook_events_event_id on core.hook_events failed: "
        "Got 3 results, configured to fail if != 0",
        "unit test ties on subscription_history failed: actual differs from expected",
        "model marts.subscription_daily: Binder Error: column x not found",
    ]


def test_a_dbt_error_before_any_node_still_says_where_to_look() -> None:
    assert describe_failures({"results": []}) == [
        "dbt exited with an error, and no node failed; see the dbt log"
    ]


def test_a_backfill_names_its_days_and_the_batch_it_rebuilds_through() -> None:
    plan = BuildPlan((date(2026, 10, 2), date(2026, 10, 3)), "b7", backfill=True)
    assert event_days_env(plan) == {
        "HOOKHOUSE_EVENT_DAYS": "2026-10-02,2026-10-03",
        "HOOKHOUSE_BACKFILL_THROUGH_BATCH": "b7",
    }
    assert dbt_build_args(plan) == ["build"]


def test_the_marts_hear_of_backfilled_days_only_when_there_are_some() -> None:
    assert backfilled_days_env(()) == {}
    assert backfilled_days_env((date(2026, 10, 2),)) == {"HOOKHOUSE_BACKFILLED_DAYS": "2026-10-02"}
