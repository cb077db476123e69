"""The Dagster definitions: they load, the lineage is what analysts rely on, runs work."""

from __future__ import annotations

import json

import dagster as dg

from orchestration.definitions import defs, execute_run
from orchestration.paths import DataHome
from orchestration.resources import DataHomeResource
from orchestration.sensors import pending_landing_files
from tests.conftest import bronze_table, write_landing

EXPECTED_LINEAGE = {
    "landing/hook_dumps": [],
    "bronze/hook_events": ["landing/hook_dumps"],
    "bronze/hook_rejects": ["landing/hook_dumps"],
    "bronze/ingested_files": ["landing/hook_dumps"],
}


def lineage() -> dict[str, list[str]]:
    graph = defs.resolve_asset_graph()
    return {
        key.to_user_string(): sorted(p.to_user_string() for p in graph.get(key).parent_keys)
        for key in graph.get_all_asset_keys()
    }


def test_definitions_load_and_lineage_is_as_expected() -> None:
    dg.Definitions.validate_loadable(defs)
    found = lineage()
    for key, parents in EXPECTED_LINEAGE.items():
        assert found[key] == parents


def test_the_run_job_ingests_in_process(home: DataHome) -> None:
    write_landing(home, "a.ndjson", json.dumps(
        {"event_type": "send", "event_date": "2026-10-01T00:00:00Z", "account_id": 1}))  # fmt: skip
    result = execute_run(
        dg.DagsterInstance.ephemeral(),
        resources={"data_home": DataHomeResource(root=str(home.root))},
    )
    assert result.success
    assert bronze_table(home, "hook_events").height == 1
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert {"bronze/hook_events", "bronze/hook_rejects", "bronze/ingested_files"} <= materialized


def test_the_landing_sensor_requests_a_run_only_for_new_files(home: DataHome) -> None:
    sensor = defs.resolve_sensor_def("landing_sensor")
    resources = {"data_home": DataHomeResource(root=str(home.root))}
    with dg.build_sensor_context(resources=resources) as context:
        assert isinstance(sensor(context), dg.SkipReason)
    write_landing(home, "a.ndjson", json.dumps(
        {"event_type": "send", "event_date": "2026-10-01T00:00:00Z", "account_id": 1}))  # fmt: skip
    assert [name for name, _, _ in pending_landing_files(home)] == ["a.ndjson"]
    with dg.build_sensor_context(resources=resources) as context:
        result = sensor(context)
    assert isinstance(result, dg.SensorResult) and len(result.run_requests) == 1
    from orchestration.ingest import ingest

    ingest(home, workers=1)
    assert pending_landing_files(home) == []
