"""Backfills: a partitioned run over a range of event days rebuilds exactly those days, in
one dbt run, and leaves the warehouse equal to a full rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt.config import dbt_run_config
from orchestration.defs.definitions import defs
from orchestration.defs.partitions import EVENT_DAYS
from orchestration.generate import generate_dumps
from orchestration.ingest import ingest
from orchestration.names import RUN_JOB_NAME
from orchestration.paths import DataHome
from tests.test_incremental import differences, run

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def dbt_asset_keys() -> list[dg.AssetKey]:
    """Every dbt model and seed: what a backfill from the UI selects."""
    graph = defs.resolve_asset_graph()
    return [
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable and key.path[0] not in ("landing", "bronze")
    ]


def backfill(first_day: str, last_day: str) -> dg.ExecuteInProcessResult:
    """What the UI launches for a backfill of the dbt assets over a range of days, with
    BackfillPolicy.single_run: one run tagged with the range."""
    return defs.resolve_job_def(RUN_JOB_NAME).execute_in_process(
        run_config={"ops": dbt_run_config()},
        instance=dg.DagsterInstance.ephemeral(),
        asset_selection=dbt_asset_keys(),
        tags={RANGE_START: first_day, RANGE_END: last_day},
    )


def test_the_core_models_have_daily_partitions_and_a_single_run_backfill() -> None:
    graph = defs.resolve_asset_graph()
    core = graph.get(dg.AssetKey(["core", "hook_events"]))
    assert core.partitions_def == EVENT_DAYS
    assert core.backfill_policy == dg.BackfillPolicy.single_run()
    assert graph.get(dg.AssetKey(["marts", "subscription_history"])).partitions_def is None
    assert graph.get(dg.AssetKey(["bronze", "hook_events"])).partitions_def is None


@pytest.mark.slow
def test_a_backfill_of_days_equals_a_full_rebuild(home: DataHome, tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    generate_dumps(dumps, 5_000, seed=7, days=4, duplicate_rate=0.03, late_rate=0.08)
    nights = sorted(p for p in dumps.iterdir() if p.is_dir())
    for night in nights[:3]:
        shutil.copytree(night, home.landing / night.name)
    run(home)
    # The days to backfill are wrong, as after a fix to a model's logic: rows missing, rows
    # changed, in core tables and downstream.
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute("delete from core.hook_events where event_day = '2026-10-02'")
        connection.execute(
            "update core.fct_email_events set event_type = 'wrong' where event_day = '2026-10-03'"
        )
        connection.execute(
            "delete from core.subscription_observations where event_day = '2026-10-02'"
        )
    # A new night is ingested but not yet built when the backfill runs: the backfill must
    # not swallow it, and the next nightly run must still add it.
    shutil.copytree(nights[3], home.landing / nights[3].name)
    ingest(home, workers=1)

    result = backfill("2026-10-02", "2026-10-03")
    assert result.success
    dbt_steps = [
        event.step_key for event in result.all_events if event.event_type_value == "STEP_START"
    ]
    assert dbt_steps.count("dbt_core") == 1  # the whole range in one dbt invocation
    partitions = {
        materialization.partition
        for event in result.get_asset_materialization_events()
        if (materialization := event.step_materialization_data.materialization)
        and materialization.asset_key == dg.AssetKey(["core", "hook_events"])
    }
    assert partitions == {"2026-10-02", "2026-10-03"}

    run(home)  # the nightly run after the backfill appends the night ingested meanwhile
    snapshot = tmp_path / "backfilled.duckdb"
    shutil.copy(home.warehouse, snapshot)
    run(home, full_refresh=True)
    assert differences(snapshot, home.warehouse) == {}
