"""The dbt project as Dagster assets, downstream of the ingest assets (dagster-dbt).

Two steps, each one `dbt build`, so that no step mixes partitioned and unpartitioned
assets that depend on each other (Dagster 1.13 fails such a step; DECISIONLOG.md,
Orchestration):
- `dbt_models`: the day-partitioned models, those with `meta: {partitioned_by: event_day}`
  in dbt_project.yml (the core tables, and the seed and staging view they read, which
  carry the flag so that no third dbt start-up is paid each night). A run tagged
  `hookhouse/build: new-batches` (nightly, sensor, `hookhouse run`) appends what bronze
  received since the last build; any other partitioned run (a backfill of a date range,
  one run by BackfillPolicy.single_run) rebuilds exactly its days;
- `dbt_marts`: every other model (the marts), unpartitioned, built from the core tables.

A run that builds the whole of both steps (the nightly run) pays one dbt start-up, not
two: `dbt_models` builds both selections in one invocation and hands the marts' results to
`dbt_marts` (orchestration/dbt_handoff.py).
"""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliInvocation,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from pydantic import Field

from orchestration.dbt_days import (
    DBT_DAY_ENVS,
    BuildPlan,
    backfilled_days_env,
    clear_appended_days,
    clear_backfilled_days,
    dbt_build_args,
    event_days_env,
    pending_appended_days,
    pending_backfilled_days,
    plan_backfill,
    plan_build,
    record_watermark,
)
from orchestration.dbt_handoff import (
    MartsHandoff,
    handed_off_events,
    split_results,
    take_handoff,
    unique_ids,
    write_handoff,
)
from orchestration.paths import REPO_ROOT, DataHome
from orchestration.resources import DataHomeResource
from orchestration.warehouse_lock import warehouse_lock
from orchestration.warehouse_metadata import campaign_summary, new_event_counts, row_counts

DBT_PROJECT = DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT)
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""The dbt of hookhouse's own environment, whether or not it is activated."""
if shutil.which("dbt") is None:  # dagster-dbt's own helpers look for `dbt` on PATH.
    os.environ["PATH"] = f"{Path(DBT_EXECUTABLE).parent}{os.pathsep}{os.environ.get('PATH', '')}"

LAYER_GROUPS = {
    "staging": "staging",
    "core": "core",
    "intermediate": "core",
    "marts": "marts",
    "reference": "staging",
}


DBT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")


def _newest_source_mtime(project: DbtProject) -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = Path(project.project_dir) / name
        paths = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> None:
    """dbt's manifest, parsed again whenever a model, macro, seed or setting changed."""
    manifest = Path(project.manifest_path)
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project):
        project.preparer.prepare(project)


FIRST_EVENT_DAY_ENV = "HOOKHOUSE_FIRST_EVENT_DAY"
EVENT_DAYS = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(FIRST_EVENT_DAY_ENV, "2025-01-01"),
    end_offset=1,  # today's events arrive today: its partition exists from 00:00 UTC
    timezone="UTC",
)
"""Daily partitions on the UTC event day, for the models that say `partitioned_by: event_day`.
The first day only bounds what the UI offers to backfill (HOOKHOUSE_FIRST_EVENT_DAY)."""

PARTITION_META = "partitioned_by"
DAY_PARTITIONED = f"config.meta.{PARTITION_META}:event_day"
"""dbt selection of the `dbt_models` step."""
UPSTREAM_OF_CORE = f"+{DAY_PARTITIONED}"
"""The day-partitioned models and all they read: what `dbt_marts` leaves out."""

NEW_BATCHES_TAG = ("hookhouse/build", "new-batches")
"""Tags a run that appends new batches (the nightly way). Such a run is launched for the
current UTC day's partition, since a partitioned step runs only in a partitioned run."""


def current_day_partition() -> str:
    """The partition a new-batches run is launched for: today, UTC."""
    return datetime.now(UTC).date().isoformat()


def _meta(dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
    return dbt_resource_props.get("config", {}).get("meta") or dbt_resource_props.get("meta", {})


class HookhouseTranslator(DagsterDbtTranslator):
    """Asset keys are warehouse names (`core/hook_events`); groups are layers; the models of
    `partitioned_by: event_day` have daily partitions. Descriptions, column schemas and
    owners (`meta.dagster.owners`) come from the dbt docs, as dagster-dbt reads them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return LAYER_GROUPS.get(dbt_resource_props.get("schema", ""), "staging")

    def get_partitions_def(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.PartitionsDefinition | None:
        if _meta(dbt_resource_props).get(PARTITION_META) == "event_day":
            return EVENT_DAYS
        return None


ensure_manifest()


class DbtRunConfig(dg.Config):
    """Run options of the dbt steps."""

    full_refresh: bool = False
    """Rebuild every model from bronze instead of only the days with new events."""
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    """More dbt --vars, for a run that needs them."""
    unit_tests: bool = False
    """Also run dbt's unit tests. They check the models' SQL on fixed inputs, not the data, so
    runs leave them to CI and development (`dbt test --select test_type:unit`)."""


DBT_STEPS = ("dbt_models", "dbt_marts")


def dbt_run_config(
    full_refresh: bool = False, extra_vars: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The `ops` run config that gives every dbt step the same options."""
    config = {"full_refresh": full_refresh, "extra_vars": dict(extra_vars or {})}
    return {step: {"config": config} for step in DBT_STEPS}


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=HookhouseTranslator(),
    name="dbt_models",
    select=DAY_PARTITIONED,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_models(
    context: dg.AssetExecutionContext,
    config: DbtRunConfig,
    dbt: DbtCliResource,
    data_home: DataHomeResource,
) -> Iterator[Any]:
    """Build and test the core tables: append what bronze received since the last build, or,
    in a backfill, rebuild exactly the run's event days."""
    home = data_home.home()
    with warehouse_lock(home, on_wait=context.log.warning, purpose=f"run {context.run.run_id}"):
        days = backfill_days(context)
        if config.full_refresh or not days:
            plan = plan_build(home, full_refresh=config.full_refresh)
        else:
            plan = plan_backfill(home, days)
        context.log.info(describe_plan(plan))
        env = event_days_env(plan)
        handoff = None
        if not plan.backfill and marts_follow(context, config, home):
            backfilled = pending_backfilled_days(home)
            env |= backfilled_days_env(backfilled)
            handoff = MartsHandoff(  # dbt's results are added once it has run
                run_id=context.run.run_id,
                appended_days=[day.isoformat() for day in plan.event_days],
                backfilled_days=[day.isoformat() for day in backfilled],
            )
            context.log.info("dbt: one invocation builds the marts too; dbt_marts reports them")
        yield from _dbt_build(context, dbt, home, plan, config, env, handoff=handoff)
        record_watermark(home, plan)
        if not plan.backfill:
            yield from days_built(context, plan)


def days_built(context: dg.AssetExecutionContext, plan: BuildPlan) -> Iterator[Any]:
    """A run that appended new batches also marks the event days it added to as materialized,
    so the UI's partition view shows which days hold data (the run itself is recorded under
    its own day)."""
    run_days = set(context.partition_keys) if context.has_partition_key_range else set()
    known = set(EVENT_DAYS.get_partition_keys())
    days = [d.isoformat() for d in plan.event_days if d.isoformat() in known - run_days]
    for key in sorted(context.selected_asset_keys, key=lambda k: k.to_user_string()):
        for day in days:
            yield dg.AssetMaterialization(
                asset_key=key,
                partition=day,
                description="new events of this day appended by a new-batches run",
                metadata={"run_partition": dg.MetadataValue.text(", ".join(sorted(run_days)))},
            )


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=HookhouseTranslator(),
    name="dbt_marts",
    exclude=UPSTREAM_OF_CORE,
)
def dbt_marts(
    context: dg.AssetExecutionContext,
    config: DbtRunConfig,
    dbt: DbtCliResource,
    data_home: DataHomeResource,
) -> Iterator[Any]:
    """Build and test the marts from the core tables, catching up with any backfilled days."""
    home = data_home.home()
    with warehouse_lock(home, on_wait=context.log.warning, purpose=f"run {context.run.run_id}"):
        handoff = take_handoff(home, context.run.run_id)
        if handoff is not None and _whole_step(context, dbt_marts):
            context.log.info("marts: built by the dbt_models step's invocation of this run")
            yield from _handed_off(context, home, handoff)
            clear_backfilled_days(home, handoff.backfilled)
            clear_appended_days(home, handoff.appended)
            return
        backfilled = pending_backfilled_days(home)
        appended = pending_appended_days(home)
        if backfilled:
            context.log.info(f"marts: catching up with {len(backfilled)} backfilled days")
        plan = BuildPlan(appended, None, full_refresh=config.full_refresh)
        env = {**event_days_env(plan), **backfilled_days_env(backfilled)}
        yield from _dbt_build(context, dbt, home, plan, config, env)
        if _whole_step(context, dbt_marts):  # a subset leaves the other marts behind
            clear_backfilled_days(home, backfilled)
            clear_appended_days(home, appended)


def _whole_step(context: dg.AssetExecutionContext, full: dg.AssetsDefinition) -> bool:
    """Whether the step builds and tests every asset and check of its whole definition (in a
    subset run, `context.assets_def` is already the subset: compare with the full one)."""
    return set(context.selected_asset_keys) == set(full.keys) and set(
        context.selected_asset_check_keys
    ) == set(full.check_keys)


def marts_follow(context: dg.AssetExecutionContext, config: DbtRunConfig, home: DataHome) -> bool:
    """Whether one dbt invocation of this `dbt_models` step can build the marts too: the run
    executes the whole of both dbt steps, with the same options, and the marts have caught up
    with every day appended before (they recompute the days this step appends; other days
    would need a scan of their own)."""
    run = context.run
    marts_step = dbt_marts.op.name
    if run.step_keys_to_execute is not None and marts_step not in run.step_keys_to_execute:
        return False
    layer = context.job_def.asset_layer  # the run's own subset of the job
    if not dbt_marts.keys <= set(layer.selected_asset_keys):
        return False
    in_run = layer.asset_graph.assets_def_for_key(next(iter(dbt_marts.keys)))
    if in_run.check_keys != dbt_marts.check_keys or not _whole_step(context, dbt_models):
        return False
    if config.unit_tests:  # unit test results name no asset: each step keeps its own
        return False
    marts_config = (run.run_config.get("ops") or {}).get(marts_step, {}).get("config") or {}
    if DbtRunConfig(**marts_config) != config:
        return False
    return not pending_appended_days(home)


def backfill_days(context: dg.AssetExecutionContext) -> tuple[date, ...]:
    """The event days a run backfills: its partitions, unless it appends new batches."""
    if context.run.tags.get(NEW_BATCHES_TAG[0]) == NEW_BATCHES_TAG[1]:
        return ()
    if not context.has_partition_key_range:
        return ()
    return tuple(date.fromisoformat(key) for key in context.partition_keys)


def describe_plan(plan: BuildPlan) -> str:
    days = plan.event_days
    span = f" ({days[0]} to {days[-1]})" if days else ""
    if plan.full_refresh:
        return "dbt: full refresh of every model from bronze"
    if plan.backfill:
        return f"dbt: backfill, rebuilding {len(days)} event days{span} through {plan.watermark}"
    return f"dbt: appending new batches, reading {len(days)} event days{span}"


def _dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    home: DataHome,
    plan: BuildPlan,
    config: DbtRunConfig,
    env: Mapping[str, str],
    *,
    handoff: MartsHandoff | None = None,
) -> Iterator[Any]:
    """One `dbt build` of the step's selection; fails with the failed tests and models named.

    With a `handoff`, the invocation builds the marts too: their result events and failures
    go to the hand-off for the `dbt_marts` step, and only this step's own failures fail it.
    dbt holds the warehouse while it runs, so the step's events are held back until it has
    exited and the row counts can be read and added to each materialization.
    """
    # dbt runs in a child process and reads these from the environment.
    os.environ["HOOKHOUSE_HOME"] = str(home.root)
    for name in DBT_DAY_ENVS:
        os.environ.pop(name, None)
    os.environ.update(env)
    args = dbt_build_args(plan, dict(config.extra_vars))
    if not config.unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    marts = known = frozenset[str]()
    if handoff is not None:
        marts = unique_ids(dbt_marts)
        known = marts | unique_ids(context.assets_def)
        args += ["--select", "fqn:*"]  # with the step's own selection: every node
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    events: list[Any] = []
    handed: list[dict[str, Any]] = []
    for event in invocation.stream_raw_events():
        unique_id = event.raw_event["data"].get("node_info", {}).get("unique_id")
        if handoff is not None and event.is_result_event and unique_id not in known:
            context.log.warning(f"dbt ran {unique_id}, unknown to the loaded definitions")
            continue  # the project changed since they were loaded; reload them to see it
        if unique_id in marts and event.is_result_event:
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
    keep_partial_parse(invocation.target_path)
    yield from _with_warehouse_metadata(context, home, plan, events)
    failures: list[str] = []
    if not invocation.is_successful():
        manifest = _artifact(invocation, "manifest.json")
        run_results = _artifact(invocation, "run_results.json")
        own, theirs = split_results(_failed(run_results), marts)
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
            raise _build_failed(lines, invocation.target_path)
        failures = describe_failures({"results": theirs}, manifest)
    if handoff is not None:
        write_handoff(
            home,
            replace(
                handoff,
                target_path=str(invocation.target_path),
                events=handed,
                failures=failures,
            ),
        )


def _handed_off(
    context: dg.AssetExecutionContext, home: DataHome, handoff: MartsHandoff
) -> Iterator[Any]:
    """The marts step's events from the hand-off; fails as its own invocation would have."""
    plan = BuildPlan(handoff.appended, None)
    yield from _with_warehouse_metadata(
        context, home, plan, list(handed_off_events(context, handoff))
    )
    if handoff.failures:
        raise _build_failed(handoff.failures, Path(handoff.target_path))


def _build_failed(failures: list[str], target_path: Path) -> dg.Failure:
    """The step's failure: each failed node on a line, and where dbt's full log is."""
    return dg.Failure(
        description="dbt build failed:\n" + "\n".join(f"  - {line}" for line in failures),
        metadata={"dbt_log": dg.MetadataValue.path(str(target_path / "dbt.log"))},
    )


def _artifact(invocation: DbtCliInvocation, name: str) -> Mapping[str, Any]:
    """A dbt artifact of the invocation; empty when dbt stopped before writing it."""
    try:
        return invocation.get_artifact(name)  # type: ignore[arg-type]
    except FileNotFoundError:
        return {}


FAILED = ("fail", "error", "runtime error")


def _failed(run_results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [result for result in run_results.get("results", []) if result.get("status") in FAILED]


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
    target = Path(project.project_dir) / os.environ.get("DBT_TARGET_PATH", "target")
    target.mkdir(parents=True, exist_ok=True)
    temporary = target / f".{PARTIAL_PARSE}.{os.getpid()}.tmp"
    shutil.copyfile(source, temporary)
    os.replace(temporary, target / PARTIAL_PARSE)


def _table_name(key: dg.AssetKey) -> str:
    return ".".join(key.path)


def _with_warehouse_metadata(
    context: dg.AssetExecutionContext, home: DataHome, plan: BuildPlan, events: list[Any]
) -> Iterator[Any]:
    """The events, each materialization with the rows of its table (and the campaign summary,
    and the new and duplicate deliveries of the run, where they belong)."""
    keys = {
        event.output_name: context.asset_key_for_output(event.output_name)
        for event in events
        if isinstance(event, dg.Output)
    }
    counts = row_counts(home, [_table_name(key) for key in keys.values()])
    for event in events:
        if not isinstance(event, dg.Output):
            yield event
            continue
        table = _table_name(keys[event.output_name])
        extra: dict[str, Any] = {}
        if table in counts:
            extra["dagster/row_count"] = dg.MetadataValue.int(counts[table])
        if table == "core.hook_events" and not plan.backfill and not plan.full_refresh:
            for name, value in new_event_counts(home, plan.built_through).items():
                extra[f"run_{name}"] = dg.MetadataValue.int(value)
        if table == "marts.campaign_performance":
            summary = campaign_summary(home)
            if summary is not None:
                extra["campaign_summary"] = summary
        yield event.with_metadata({**event.metadata, **extra}) if extra else event


def describe_failures(
    run_results: Mapping[str, Any], manifest: Mapping[str, Any] | None = None
) -> list[str]:
    """One line per failed node of a dbt run: what it is, what it tests, what went wrong."""
    nodes = {**(manifest or {}).get("nodes", {}), **(manifest or {}).get("unit_tests", {})}
    lines = []
    for result in _failed(run_results):
        unique_id = result.get("unique_id", "")
        node = nodes.get(unique_id, {})
        kind = node.get("resource_type") or unique_id.split(".", 1)[0]
        name = node.get("name") or unique_id.rsplit(".", 1)[-1]
        message = " ".join(str(result.get("message") or "").split())
        if kind in ("test", "unit_test"):
            tested = _tested_models(node, nodes)
            on = f" on {', '.join(tested)}" if tested else ""
            label = "unit test" if kind == "unit_test" else "test"
            lines.append(f"{label} {name}{on} failed: {message[:500]}")
        else:
            where = f"{node.get('schema')}.{node.get('alias') or name}" if node else name
            lines.append(f"{kind} {where}: {message[:500]}")
    return lines or ["dbt exited with an error, and no node failed; see the dbt log"]


def _tested_models(node: Mapping[str, Any], nodes: Mapping[str, Any]) -> list[str]:
    """The warehouse names of the models a test reads."""
    if node.get("resource_type") == "unit_test":
        return [str(node.get("model"))]
    names = []
    for parent in node.get("depends_on", {}).get("nodes", []):
        model = nodes.get(parent, {})
        if model.get("resource_type") in ("model", "seed", "snapshot"):
            names.append(f"{model.get('schema')}.{model.get('alias') or model.get('name')}")
    return names
