"""The Dagster definitions: they load, the lineage is what analysts rely on, runs work."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource
from packaging import version
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from orchestration.defs.definitions import defs, execute_run
from orchestration.defs.partitions import current_day_partition
from orchestration.defs.resources import DataHomeResource, HookhouseDbtCliResource
from orchestration.defs.sensors import pending_landing_files
from orchestration.generate import generate_dumps
from orchestration.names import NEW_BATCHES_TAG, RUN_JOB_NAME
from orchestration.paths import DataHome
from tests.conftest import write_landing

EXPECTED_LINEAGE = {
    "landing/receiver": [],  # the source: what hookhouse serve and consume commit
    "landing/hook_dumps": ["landing/receiver"],
    "bronze/hook_events": ["landing/hook_dumps"],
    "bronze/hook_rejects": ["landing/hook_dumps"],
    "bronze/ingested_files": ["landing/hook_dumps"],
    "marts/promocode_daily": ["core/fct_promocode_events"],
    "marts/loyalty_daily": ["core/fct_loyalty_events"],
    "marts/popup_funnel": ["core/fct_popup_events"],
    "marts/campaign_launches": [
        "core/fct_campaign_error_events",
        "core/fct_campaign_launch_events",
        "core/hook_events",
    ],
}


def lineage() -> dict[str, list[str]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): sorted(p.to_user_string() for p in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }


class LineageText(SingleFileSnapshotExtension):
    """The lineage as a plain text file under tests/__snapshots__/, one asset a line."""

    _write_mode = WriteMode.TEXT
    file_extension = "txt"


def lineage_text() -> str:
    """Every asset of the definitions and the assets it depends on, `asset <- dependency, ...`."""
    return "".join(
        f"{key} <- {', '.join(parents)}".rstrip() + "\n"
        for key, parents in sorted(lineage().items())
    )


def test_the_asset_graph_matches_its_snapshot(snapshot: SnapshotAssertion) -> None:
    # After an intended change to the graph (a new model, say), rewrite the snapshot with
    #   .venv/bin/pytest tests/test_dagster.py -k snapshot --snapshot-update
    # and commit the difference with the change. Without the flag, a difference fails.
    assert lineage_text() == snapshot.use_extension(LineageText)


def test_every_asset_has_a_layer_group_a_description_and_an_owner() -> None:
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in {"ingest", "staging", "core", "marts"}, key
        assert node.owners, key
        assert (node.description or "").strip(), key
    events = graph.get(dg.AssetKey(["core", "hook_events"]))
    columns = events.metadata["dagster/column_schema"]  # from the dbt docs
    assert "event_id" in {column.name for column in columns.columns}


def test_dbt_tests_and_the_data_quality_checks_are_asset_checks() -> None:
    checks = {key.to_user_string() for key in defs.resolve_asset_graph().asset_check_keys}
    assert "core/hook_events:unique_hook_events_event_id" in checks
    assert {
        "bronze/hook_events:reject_ratio",
        "bronze/hook_events:event_types_in_catalog",
        "landing/hook_dumps:landing_freshness",
    } <= checks


def test_the_dbt_resource_skips_what_hookhouse_does_not_use() -> None:
    # HookhouseDbtCliResource overrides two members of dagster-dbt's resource; if dagster-dbt
    # renames them, the overrides stop saving anything: fail here instead.
    assert {"_cli_version", "_initialize_dbt_core_adapter"} <= set(vars(DbtCliResource))
    dbt = (defs.resources or {})["dbt"]
    assert isinstance(dbt, HookhouseDbtCliResource)
    assert dbt._cli_version == version.parse(importlib.metadata.version("dbt-core"))
    assert dbt._initialize_dbt_core_adapter(["build"]) is None


def test_the_nightly_schedule_runs_the_run_job_at_2_utc() -> None:
    schedule = defs.resolve_schedule_def("nightly")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == RUN_JOB_NAME
    with dg.build_schedule_context(repository_def=defs.get_repository_def()) as context:
        (request,) = schedule.evaluate_tick(context).run_requests or []
    assert request.partition_key == current_day_partition()  # today's partition...
    assert request.tags[NEW_BATCHES_TAG[0]] == NEW_BATCHES_TAG[1]  # ...appending new batches


def test_definitions_load_and_lineage_is_as_expected() -> None:
    dg.Definitions.validate_loadable(defs)
    found = lineage()
    for key, parents in EXPECTED_LINEAGE.items():
        assert found[key] == parents


@pytest.mark.slow
def test_the_run_job_materializes_everything_in_process(home: DataHome) -> None:
    generate_dumps(home.landing / "g", 1_500, seed=2, days=2, duplicate_rate=0.05)
    result = execute_run(
        dg.DagsterInstance.ephemeral(),
        resources={"data_home": DataHomeResource(root=str(home.root))},
    )
    assert result.success
    graph = defs.resolve_asset_graph()
    metadata: dict[str, dict] = {}
    partitions: dict[str, set] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        metadata.setdefault(  # the step's own materialization, before the days it added to
            materialization.asset_key.to_user_string(),
            {name: value.value for name, value in materialization.metadata.items()},
        )
        partitions.setdefault(materialization.asset_key.to_user_string(), set()).add(
            materialization.partition
        )
    executable = {
        key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).is_executable
    }
    assert set(metadata) == executable  # every asset, in one run
    ingest = metadata["bronze/hook_events"]
    assert ingest["records"] == ingest["kept"] + ingest["rejected"] > 1_400
    assert ingest["first_event_day"] == "2026-10-01"
    events = metadata["core/hook_events"]
    assert events["dagster/row_count"] == events["run_new_events"]
    assert events["run_duplicates"] == ingest["kept"] - events["run_new_events"] > 0
    assert metadata["core/fct_email_events"]["dagster/row_count"] > 0
    # The core tables' event days show as materialized partitions, besides the run's own day.
    assert {"2026-10-01", "2026-10-02"} <= partitions["core/fct_email_events"]
    assert partitions["marts/campaign_performance"] == {None}
    summary = metadata["marts/campaign_performance"]["campaign_summary"]
    assert summary.records and summary.records[0].data["sent"] > 0
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) > 100 and all(
        e.passed for e in evaluations if e.severity.value == "ERROR"
    )


def test_the_landing_sensor_requests_a_run_only_for_new_files(home: DataHome) -> None:
    sensor = defs.resolve_sensor_def("landing_sensor")
    resources = {"data_home": DataHomeResource(root=str(home.root))}
    instance = dg.DagsterInstance.ephemeral()
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        assert isinstance(sensor(context), dg.SkipReason)
    write_landing(home, "a.ndjson", json.dumps(
        {"event_type": "send", "event_date": "2026-10-01T00:00:00Z", "account_id": 1}))  # fmt: skip
    assert [name for name, _, _ in pending_landing_files(home)] == ["a.ndjson"]
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult) and len(result.run_requests or []) == 1
    from orchestration.ingest import ingest

    ingest(home, workers=1)
    assert pending_landing_files(home) == []


def test_the_landing_sensor_takes_receiver_files_once_committed_and_not_twice_queued(
    home: DataHome,
) -> None:
    import asyncio

    from orchestration.receiver.landing_writer import LandingWriter

    sensor = defs.resolve_sensor_def("landing_sensor")
    resources = {"data_home": DataHomeResource(root=str(home.root))}
    instance = dg.DagsterInstance.ephemeral()
    folder = home.receiver_landing / "http"
    temporary = folder / "2026-10-01" / ".hooks-being-written.ndjson.tmp"
    temporary.parent.mkdir(parents=True)
    temporary.write_text('{"event_type": "send"}\n')  # a commit on its way: never taken
    assert pending_landing_files(home) == []

    async def commit() -> Path:
        writer = LandingWriter(folder)
        await writer.start()
        path = await writer.write(b'{"event_type":"send","event_date":"2026-10-01T00:00:00Z"}\n')
        await writer.close()
        return path

    committed = asyncio.run(commit())
    relative = committed.relative_to(home.landing).as_posix()
    assert relative.startswith("receiver/http/") and not committed.name.startswith(".")
    assert [name for name, _, _ in pending_landing_files(home)] == [relative]
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult) and len(result.run_requests or []) == 1
    # A run created, not yet started (a QUEUED one needs a code location to be made here).
    queued = dg.DagsterRun(job_name=RUN_JOB_NAME, status=dg.DagsterRunStatus.NOT_STARTED)
    instance.add_run(queued)
    with dg.build_sensor_context(instance=instance, resources=resources) as context:
        skipped = sensor(context)
    assert isinstance(skipped, dg.SkipReason) and queued.run_id in (skipped.skip_message or "")


def test_a_run_with_too_many_rejects_stops_before_the_models(home: DataHome) -> None:
    from orchestration.defs.run_summary import describe_failure

    write_landing(home, "a.ndjson", json.dumps(
        {"event_type": "send", "event_date": "2026-10-01T00:00:00Z", "account_id": 1}
    ) + "\n{not json\n")  # fmt: skip
    result = execute_run(
        dg.DagsterInstance.ephemeral(),
        resources={"data_home": DataHomeResource(root=str(home.root))},
        raise_on_error=False,
    )
    assert not result.success
    message = describe_failure(result)
    assert "check reject_ratio on bronze/hook_events: 1 of 2 records rejected (50.00%)" in message
    assert not home.warehouse.exists()  # no model was built on that batch
