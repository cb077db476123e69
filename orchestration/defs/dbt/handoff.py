"""One dbt invocation a night: the core step builds the marts too and hands their results on.

Each dbt invocation pays a fixed start-up whatever the data: importing dbt, loading its
parse, writing its artifacts, closing DuckDB (about 3 s at 10 million events, against about
17 s of nightly work). The two dbt steps exist only because Dagster 1.13 cannot hold the
day-partitioned core tables and the unpartitioned marts in one step (DECISIONLOG.md,
Orchestration). So when a run that is not a backfill (a nightly run, a first or full build)
will run the whole of both steps with the same options, `dbt_core` runs one `dbt build`
over both selections; it reports its own nodes and writes dbt's result events of the
marts' nodes, with the marts' failures, to the data home (`.dbt_marts_handoff.json`).
`dbt_marts` then turns those into its materializations and check results, as dagster-dbt
turns a live dbt stream into them, and fails when a mart failed. Every other run (a
backfill, a subset, a run with dbt's unit tests, marts that have not caught up) keeps one
invocation per step.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration.crashpoints import crash_point
from orchestration.defs.dbt.failures import build_failed
from orchestration.defs.dbt.metadata import with_warehouse_metadata
from orchestration.paths import DataHome
from orchestration.warehouse.build_plan import BuildPlan

UNIQUE_ID = "dagster_dbt/unique_id"
"""The metadata key under which dagster-dbt names the dbt node behind an asset or a check."""


def unique_ids(assets_def: dg.AssetsDefinition) -> frozenset[str]:
    """The dbt nodes (models, seeds, tests) whose results an assets definition reports."""
    metadata = [spec.metadata for spec in assets_def.specs]
    metadata += [spec.metadata for spec in assets_def.check_specs]
    return frozenset(str(entry[UNIQUE_ID]) for entry in metadata if UNIQUE_ID in entry)


@dataclass(frozen=True)
class MartsHandoff:
    """What one invocation built for the `dbt_marts` step of the same run."""

    run_id: str
    target_path: str = ""
    """The invocation's target folder (its dbt.log, run_results.json and manifest.json)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    """dbt's result events (LogModelResult, LogTestResult, ...) of the marts' nodes."""
    failures: list[str] = field(default_factory=list)
    """One line per mart or mart test that failed (empty: all passed)."""
    appended_days: list[str] = field(default_factory=list)
    backfilled_days: list[str] = field(default_factory=list)
    """The days the invocation recomputed the marts for, to mark as caught up."""

    @property
    def appended(self) -> tuple[date, ...]:
        return tuple(map(date.fromisoformat, self.appended_days))

    @property
    def backfilled(self) -> tuple[date, ...]:
        return tuple(map(date.fromisoformat, self.backfilled_days))


def handoff_path(home: DataHome) -> Path:
    return home.root / ".dbt_marts_handoff.json"


def write_handoff(home: DataHome, handoff: MartsHandoff) -> None:
    """Store the hand-off, replacing any earlier one whole (never a partial file)."""
    path = handoff_path(home)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(handoff)))
    os.replace(temporary, path)
    crash_point("handoff.written")


def take_handoff(home: DataHome, run_id: str) -> MartsHandoff | None:
    """The hand-off this run's `dbt_core` step left, removed as it is read. A hand-off of
    another run is dropped (a run stopped between its two steps, or one whose marts step
    another run's overtook): its marts were built, but the days they caught up with stay
    pending, so this run's marts recompute them."""
    path = handoff_path(home)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    finally:
        path.unlink(missing_ok=True)
    return MartsHandoff(**data) if data.get("run_id") == run_id else None


def handed_off_events(
    context: dg.AssetExecutionContext, handoff: MartsHandoff
) -> Iterator[
    dg.Output
    | dg.AssetMaterialization
    | dg.AssetObservation
    | dg.AssetCheckResult
    | dg.AssetCheckEvaluation
]:
    """The step's Dagster events, made from the handed-off dbt events as dagster-dbt makes
    them from a dbt invocation of the step's own (same manifest, translator and context).
    Column-level metadata, which dagster-dbt takes from dbt log lines hookhouse does not
    emit, is not carried."""
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    for raw_event in handoff.events:
        event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
        yield from event.to_default_asset_events(
            manifest=manifest,
            dagster_dbt_translator=translator,
            context=context,
            target_path=Path(handoff.target_path),
            project=project,
        )


def split_results(
    results: Sequence[Mapping[str, Any]], theirs: frozenset[str]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """run_results entries: (those of the invoking step, those of the nodes in `theirs`)."""
    own = [result for result in results if result.get("unique_id") not in theirs]
    return own, [result for result in results if result.get("unique_id") in theirs]


def handed_off(
    context: dg.AssetExecutionContext, home: DataHome, handoff: MartsHandoff
) -> Iterator[Any]:
    """The marts step's events from the hand-off; fails as its own invocation would have."""
    plan = BuildPlan(handoff.appended, None)
    yield from with_warehouse_metadata(
        context, home, plan, list(handed_off_events(context, handoff))
    )
    if handoff.failures:
        raise build_failed(handoff.failures, Path(handoff.target_path))
