"""One dbt invocation a night: the core step builds the marts and the marts step reports them."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.dbt.assets import dbt_core, dbt_marts
from orchestration.defs.dbt.config import dbt_run_config
from orchestration.defs.dbt.handoff import (
    MartsHandoff,
    handoff_path,
    take_handoff,
    unique_ids,
    write_handoff,
)
from orchestration.defs.dbt.project import DBT_PROJECT
from orchestration.defs.definitions import defs, execute_run
from orchestration.defs.partitions import current_day_partition
from orchestration.defs.resources import DataHomeResource
from orchestration.defs.run_summary import describe_failure
from orchestration.generate import generate_dumps
from orchestration.names import NEW_BATCHES_TAG, RUN_JOB_NAME
from orchestration.paths import DataHome
from orchestration.warehouse.build_state import pending_appended_days


def test_the_two_dbt_steps_split_every_dbt_node_between_them() -> None:
    """The nightly invocation selects every node (`fqn:*`); each result goes to one step."""
    import json

    manifest = json.loads(Path(DBT_PROJECT.manifest_path).read_text())
    nodes = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed", "snapshot", "test")
    }
    core, marts = unique_ids(dbt_core), unique_ids(dbt_marts)
    assert not core & marts
    assert core | marts == nodes
    assert "model.hookhouse.hook_events" in core
    assert "model.hookhouse.campaign_performance" in marts


def test_a_hand_off_is_taken_once_and_only_by_its_own_run(tmp_path: Path) -> None:
    home = DataHome(tmp_path)
    handoff = MartsHandoff(run_id="run-a", target_path="t", events=[{"info": {}}])
    write_handoff(home, handoff)
    assert take_handoff(home, "run-a") == handoff
    assert take_handoff(home, "run-a") is None
    write_handoff(home, handoff)
    assert take_handoff(home, "run-b") is None  # a stopped run's hand-off is dropped
    assert not handoff_path(home).exists()


def run(home: DataHome, extra_vars: dict[str, object] | None = None) -> dg.ExecuteInProcessResult:
    return execute_run(
        dg.DagsterInstance.ephemeral(),
        {"ops": dbt_run_config(extra_vars=extra_vars)},
        resources={"data_home": DataHomeResource(root=str(home.root))},
        raise_on_error=False,
    )


def subset_run(
    home: DataHome,
    *,
    assets: list[dg.AssetKey] | None = None,
    checks: set[dg.AssetCheckKey] | None = None,
    partitioned: bool = False,
) -> dg.ExecuteInProcessResult:
    """A run of part of the job, as the UI launches one (a partitioned one appends new batches)."""
    job = defs.resolve_job_def(RUN_JOB_NAME)
    selected = set(assets) if assets else set(job.asset_layer.selected_asset_keys)
    return job.get_subset(
        asset_selection=selected, asset_check_selection=checks
    ).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"data_home": DataHomeResource(root=str(home.root))},
        partition_key=current_day_partition() if partitioned else None,
        tags=dict([NEW_BATCHES_TAG]) if partitioned else None,
        raise_on_error=False,
    )


def dbt_invocations(result: dg.ExecuteInProcessResult) -> list[str]:
    """The dbt steps that started dbt in a run (dagster-dbt gives each its target folder)."""
    target = Path(DBT_PROJECT.project_dir) / DBT_PROJECT.target_path
    folders = target.glob(f"dbt_*-{result.run_id[:7]}-*")
    return sorted(folder.name.split("-", 1)[0] for folder in folders)


def reported(result: dg.ExecuteInProcessResult, step: str) -> tuple[set[str], set[str]]:
    """(materialized assets, evaluated checks) that a step reported."""
    assets, checks = set(), set()
    for event in result.all_events:
        if event.step_key != step:
            continue
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key:
            assets.add(event.asset_key.to_user_string())
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            assert isinstance(evaluation, dg.AssetCheckEvaluation)
            checks.add(f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}")
    return assets, checks


def keys(assets_def: dg.AssetsDefinition) -> tuple[set[str], set[str]]:
    return (
        {key.to_user_string() for key in assets_def.keys},
        {f"{key.asset_key.to_user_string()}:{key.name}" for key in assets_def.check_keys},
    )


@pytest.mark.slow
def test_a_nightly_run_starts_dbt_once_and_a_failing_mart_fails_the_marts_step(
    home: DataHome, tmp_path: Path
) -> None:
    dumps = tmp_path / "dumps"
    generate_dumps(dumps, 3_000, seed=4, days=3)
    nights = sorted(path for path in dumps.iterdir() if path.is_dir())
    home.landing.mkdir(parents=True, exist_ok=True)

    # A first run: one dbt invocation, and each step reports all of its own assets and checks.
    nights[0].rename(home.landing / nights[0].name)
    first = run(home)
    assert first.success
    assert dbt_invocations(first) == ["dbt_core"]
    assert reported(first, "dbt_marts") == keys(dbt_marts)
    core_assets, core_checks = reported(first, "dbt_core")
    assert core_checks == keys(dbt_core)[1] and core_assets == keys(dbt_core)[0]
    assert not handoff_path(home).exists()

    # A mart's test fails: the core tables are built, the marts step fails and names it.
    nights[1].rename(home.landing / nights[1].name)
    failed = run(home, {"hookhouse_selftest_mart_failure": True})
    assert not failed.success
    assert dbt_invocations(failed) == ["dbt_core"]
    steps = {event.step_key for event in failed.all_events if event.is_step_success}
    assert "dbt_core" in steps and "dbt_marts" not in steps
    message = describe_failure(failed)
    assert "step dbt_marts: dbt build failed" in message
    assert (
        "test selftest_a_failing_mart_test_fails_the_marts_step on marts.campaign_performance"
        " failed" in message
    )

    # A run of one mart (from the UI, say) leaves the other marts behind: the day stays pending.
    pending = pending_appended_days(home)
    assert pending
    one_mart = subset_run(home, assets=[dg.AssetKey(["marts", "campaign_performance"])])
    assert one_mart.success and dbt_invocations(one_mart) == ["dbt_marts"]
    assert pending_appended_days(home) == pending

    # The marts have not caught up with that day: the next run builds them in their own step.
    nights[2].rename(home.landing / nights[2].name)
    again = run(home)
    assert again.success
    assert dbt_invocations(again) == ["dbt_core", "dbt_marts"]
    assert reported(again, "dbt_marts") == keys(dbt_marts)
    assert pending_appended_days(home) == ()

    # A run without the core tables' tests is a subset of the core step: two invocations.
    job = defs.resolve_job_def(RUN_JOB_NAME)
    checks = set(job.asset_layer.asset_graph.asset_check_keys) - set(dbt_core.check_keys)
    no_core_tests = subset_run(home, checks=checks, partitioned=True)
    assert no_core_tests.success
    assert dbt_invocations(no_core_tests) == ["dbt_core", "dbt_marts"]

    # The whole job, caught up: back to one invocation.
    quiet = run(home)
    assert quiet.success and dbt_invocations(quiet) == ["dbt_core"]
