"""The dbt project as Dagster assets, downstream of the ingest assets (dagster-dbt).

Two steps, each one `dbt build`, so that no step mixes partitioned and unpartitioned
assets that depend on each other (Dagster 1.13 fails such a step; DECISIONLOG.md,
Orchestration):
- `dbt_core`: the day-partitioned models, those with `meta: {partitioned_by: event_day}`
  in dbt_project.yml (the core tables, and the seed and staging view they read, which
  carry the flag so that no third dbt start-up is paid each night). A run tagged
  `hookhouse/build: new-batches` (nightly, sensor, `hookhouse run`) appends what bronze
  received since the last build; any other partitioned run (a backfill of a date range,
  one run by BackfillPolicy.single_run) rebuilds exactly its days;
- `dbt_marts`: every other model (the marts), unpartitioned, built from the core tables.

A run that builds the whole of both steps (the nightly run) pays one dbt start-up, not
two: `dbt_core` builds both selections in one invocation and hands the marts' results to
`dbt_marts` (handoff.py).
"""

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.crashpoints import crash_point
from orchestration.defs.dbt.config import DbtRunConfig
from orchestration.defs.dbt.handoff import MartsHandoff, handed_off, take_handoff, unique_ids
from orchestration.defs.dbt.invocation import dbt_build
from orchestration.defs.dbt.project import DBT_PROJECT, prepared_manifest
from orchestration.defs.dbt.translator import DAY_PARTITIONED, UPSTREAM_OF_CORE, HookhouseTranslator
from orchestration.defs.partitions import EVENT_DAYS
from orchestration.defs.resources import DataHomeResource
from orchestration.names import DBT_CORE_STEP, DBT_MARTS_STEP, NEW_BATCHES_TAG
from orchestration.paths import DataHome
from orchestration.warehouse.build_plan import (
    BuildPlan,
    backfilled_days_env,
    event_days_env,
    plan_backfill,
    plan_build,
    record_watermark,
)
from orchestration.warehouse.build_state import (
    clear_appended_days,
    clear_backfilled_days,
    pending_appended_days,
    pending_backfilled_days,
)
from orchestration.warehouse.lock import warehouse_lock
from orchestration.warehouse.sessions import open_elsewhere
from orchestration.warehouse.target import Target

MANIFEST = prepared_manifest()


@dbt_assets(
    manifest=MANIFEST,
    project=DBT_PROJECT,
    dagster_dbt_translator=HookhouseTranslator(),
    name=DBT_CORE_STEP,
    select=DAY_PARTITIONED,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def dbt_core(
    context: dg.AssetExecutionContext,
    config: DbtRunConfig,
    dbt: DbtCliResource,
    data_home: DataHomeResource,
) -> Iterator[Any]:
    """Build and test the core tables: append what bronze received since the last build, or,
    in a backfill, rebuild exactly the run's event days."""
    home = data_home.home()
    with warehouse_lock(home, on_wait=context.log.warning, purpose=f"run {context.run.run_id}"):
        refuse_if_open_elsewhere(home)
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
            context.log.info(
                f"dbt: one invocation builds the marts too; {DBT_MARTS_STEP} reports them"
            )
        yield from dbt_build(
            context, dbt, home, plan, config, env, handoff=handoff, marts=unique_ids(dbt_marts)
        )
        crash_point("dbt.built")
        record_watermark(home, plan)
        crash_point("dbt.watermark_recorded")
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
    manifest=MANIFEST,
    project=DBT_PROJECT,
    dagster_dbt_translator=HookhouseTranslator(),
    name=DBT_MARTS_STEP,
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
        refuse_if_open_elsewhere(home)
        handoff = take_handoff(home, context.run.run_id)
        if handoff is not None and _whole_step(context, dbt_marts):
            context.log.info(f"marts: built by the {DBT_CORE_STEP} step's invocation of this run")
            yield from handed_off(context, home, handoff)
            crash_point("marts.built")
            clear_backfilled_days(home, handoff.backfilled)
            clear_appended_days(home, handoff.appended)
            return
        backfilled = pending_backfilled_days(home)
        appended = pending_appended_days(home)
        if backfilled:
            context.log.info(f"marts: catching up with {len(backfilled)} backfilled days")
        plan = BuildPlan(appended, None, full_refresh=config.full_refresh)
        env = {**event_days_env(plan), **backfilled_days_env(backfilled)}
        yield from dbt_build(context, dbt, home, plan, config, env)
        if _whole_step(context, dbt_marts):  # a subset leaves the other marts behind
            crash_point("marts.built")
            clear_backfilled_days(home, backfilled)
            clear_appended_days(home, appended)


def _whole_step(context: dg.AssetExecutionContext, full: dg.AssetsDefinition) -> bool:
    """Whether the step builds and tests every asset and check of its whole definition (in a
    subset run, `context.assets_def` is already the subset: compare with the full one)."""
    return set(context.selected_asset_keys) == set(full.keys) and set(
        context.selected_asset_check_keys
    ) == set(full.check_keys)


def marts_follow(context: dg.AssetExecutionContext, config: DbtRunConfig, home: DataHome) -> bool:
    """Whether one dbt invocation of the core step can build the marts too: the run
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
    if in_run.check_keys != dbt_marts.check_keys or not _whole_step(context, dbt_core):
        return False
    if config.unit_tests:  # unit test results name no asset: each step keeps its own
        return False
    ops = run.run_config.get("ops") or {}
    step = ops.get(marts_step) if isinstance(ops, Mapping) else None
    marts_config = (step.get("config") if isinstance(step, Mapping) else None) or {}
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


def refuse_if_open_elsewhere(home: DataHome) -> None:
    """Fail the step, naming the process and what to do, when another process (an analyst's
    session) has the warehouse open: DuckDB would refuse the step's first connection. (Spark
    lets readers and a writer share its warehouse.)"""
    if Target.from_env().engine != "duckdb":
        return
    if (session := open_elsewhere(home.warehouse)) is not None:
        raise dg.Failure(description=session.message(home.warehouse))


def describe_plan(plan: BuildPlan) -> str:
    days = plan.event_days
    span = f" ({days[0]} to {days[-1]})" if days else ""
    if plan.full_refresh:
        return "dbt: full refresh of every model from bronze"
    if plan.backfill:
        return f"dbt: backfill, rebuilding {len(days)} event days{span} through {plan.watermark}"
    return f"dbt: appending new batches, reading {len(days)} event days{span}"
