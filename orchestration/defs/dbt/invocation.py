"""One `dbt build` of a step: its environment and arguments, its events, its failures.

dbt runs in a child process and reads the days to rebuild from its environment
(orchestration/warehouse/build_plan.py). It holds the warehouse while it runs, so the step's
events are held back until it has exited and the row counts can be read and added to each
materialization. It holds the warehouse lock too (HookhouseDbtCliResource starts it through
orchestration/processes.py), and it ends with the step: with its process, however that ends,
and when the step stops reading it early.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject

from orchestration.crashpoints import crash_point
from orchestration.defs.dbt.config import DbtRunConfig
from orchestration.defs.dbt.failures import build_failed, describe_failures, failed_results
from orchestration.defs.dbt.handoff import MartsHandoff, split_results, unique_ids, write_handoff
from orchestration.defs.dbt.metadata import with_warehouse_metadata
from orchestration.defs.dbt.project import DBT_PROJECT
from orchestration.paths import DataHome
from orchestration.warehouse.build_plan import DBT_DAY_ENVS, BuildPlan, dbt_build_args
from orchestration.warehouse.sessions import Session, from_duckdb_error


def dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    home: DataHome,
    plan: BuildPlan,
    config: DbtRunConfig,
    env: Mapping[str, str],
    *,
    handoff: MartsHandoff | None = None,
    marts: frozenset[str] = frozenset(),
) -> Iterator[Any]:
    """One `dbt build` of the step's selection; fails with the failed tests and models named.

    With a `handoff`, the invocation builds the marts too (the dbt nodes in `marts`): their
    result events and failures go to the hand-off for the marts step, and only this step's
    own failures fail it.
    """
    os.environ["HOOKHOUSE_HOME"] = str(home.root)
    for name in DBT_DAY_ENVS:
        os.environ.pop(name, None)
    os.environ.update(env)
    args = dbt_build_args(plan, dict(config.extra_vars))
    if not config.unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    handed_ids = known = frozenset[str]()
    if handoff is not None:
        handed_ids = marts
        known = marts | unique_ids(context.assets_def)
        args += ["--select", "fqn:*"]  # with the step's own selection: every node
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    events: list[Any] = []
    handed: list[dict[str, Any]] = []
    try:
        for event in invocation.stream_raw_events():
            crash_point("dbt.running")
            unique_id = event.raw_event["data"].get("node_info", {}).get("unique_id")
            if handoff is not None and event.is_result_event and unique_id not in known:
                context.log.warning(f"dbt ran {unique_id}, unknown to the loaded definitions")
                continue  # the project changed since they were loaded; reload them to see it
            if unique_id in handed_ids and event.is_result_event:
                handed.append(event.raw_event)
                continue
            events.extend(
                event.to_default_asset_events(
                    manifest=invocation.manifest,
                    dagster_dbt_translator=invocation.dagster_dbt_translator,
                    context=context,
                    target_path=invocation.target_path,
                    project=invocation.project,
                )
            )
    except BaseException:
        end_dbt(invocation.process)  # a step that stops early leaves no dbt writing
        raise
    keep_partial_parse(invocation.target_path)
    yield from with_warehouse_metadata(context, home, plan, events)
    failures: list[str] = []
    if not invocation.is_successful():
        manifest = _artifact(invocation, "manifest.json")
        run_results = _artifact(invocation, "run_results.json")
        own, theirs = split_results(failed_results(run_results), handed_ids)
        if not own and not theirs and (session := _open_elsewhere_said(invocation)):
            raise dg.Failure(description=session.message(home.warehouse))
        if own or not theirs:
            lines = describe_failures({"results": own}, manifest)
            if theirs:
                lines += [
                    f"(mart) {line}" for line in describe_failures({"results": theirs}, manifest)
                ]
            if handed:  # dbt went on with the marts that do not depend on what failed
                lines.append(
                    f"dbt also ran {len(handed)} mart nodes; the marts step does not run after"
                    " this failure, and the next run builds the marts again"
                )
            raise build_failed(lines, invocation.target_path)
        failures = describe_failures({"results": theirs}, manifest)
    if handoff is not None:
        write_handoff(
            home,
            replace(
                handoff, target_path=str(invocation.target_path), events=handed, failures=failures
            ),
        )


def _open_elsewhere_said(invocation: DbtCliInvocation) -> Session | None:
    """The process dbt's log says had the warehouse open, when DuckDB refused it that way
    (a session opened after the check above)."""
    try:
        log = (invocation.target_path / "dbt.log").read_text(errors="replace")
    except OSError:
        return None
    return from_duckdb_error(log)


DBT_STOP_SECONDS = 10.0
"""How long dbt has to end on SIGTERM before it is killed."""


def end_dbt(process: subprocess.Popen[bytes]) -> None:
    """End a dbt that is still running (DuckDB rolls back what it had not committed)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=DBT_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _artifact(invocation: DbtCliInvocation, name: str) -> Mapping[str, Any]:
    """A dbt artifact of the invocation; empty when dbt stopped before writing it."""
    try:
        return invocation.get_artifact(name)  # type: ignore[arg-type]
    except FileNotFoundError:
        return {}


PARTIAL_PARSE = "partial_parse.msgpack"


def keep_partial_parse(invocation_target: Path, project: DbtProject = DBT_PROJECT) -> None:
    """Make an invocation's parse the one the next invocation starts from.

    dagster-dbt gives every invocation its own target folder, seeded with the project
    target's `partial_parse.msgpack`. That file comes from the `dbt parse` that wrote the
    manifest, whose profile (the warehouse path under HOOKHOUSE_HOME) is seldom the run's,
    so dbt parsed the whole project again at each step: about 4 s of every dbt step, every
    night. Copied back after each invocation, it lets the next one parse only what changed.
    """
    source = invocation_target / PARTIAL_PARSE
    if not source.is_file():
        return
    target = Path(project.project_dir) / project.target_path
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / f".{PARTIAL_PARSE}.{os.getpid()}.tmp"
    shutil.copyfile(source, temporary)
    os.replace(temporary, target / PARTIAL_PARSE)
