"""Which UTC event days a dbt run must rebuild, and the dbt arguments that say so.

The warehouse records the newest bronze batch it has been built from (`hookhouse.build_state`).
Every bronze batch after it brought events for some days; those days, however old, are the
ones an incremental run rebuilds (HOOKHOUSE_EVENT_DAYS, see macros/incremental.sql).
A run with no new batch rebuilds no day. A backfill (a partitioned Dagster run) instead
rebuilds the days it names, through the watermark; the marts catch up with those days at
their next build (orchestration/warehouse/build_state.py). Pure functions first; those that
read bronze last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb

from orchestration.bronze_layout import EVENTS, MANIFEST, bronze_table
from orchestration.paths import DataHome
from orchestration.warehouse.build_state import built_watermark, record_backfill, record_build

NO_DAYS = "none"
"""The `event_days` value that makes incremental models rebuild nothing."""


@dataclass(frozen=True)
class BuildPlan:
    """What a dbt run rebuilds: the event days, and the batch watermark to record after."""

    event_days: tuple[date, ...]
    watermark: str | None
    """The newest bronze batch id; None when bronze holds nothing."""
    full_refresh: bool = False
    backfill: bool = False
    """Rebuild exactly `event_days` (delete their rows, insert their events through
    `watermark`) instead of appending new batches."""
    built_through: str | None = None
    """The watermark before this run: the batches after it are this run's new data."""


EVENT_DAYS_ENV = "HOOKHOUSE_EVENT_DAYS"
"""How the days reach dbt (macros/tests/get_where_subquery.sql): an environment variable,
because a change of --vars makes dbt parse the whole project again."""
BACKFILL_THROUGH_ENV = "HOOKHOUSE_BACKFILL_THROUGH_BATCH"
"""Set on a backfill: the newest batch the rebuilt days take events from."""
BACKFILLED_DAYS_ENV = "HOOKHOUSE_BACKFILLED_DAYS"
"""For the marts: days a backfill rebuilt since their last build."""
DBT_DAY_ENVS = (EVENT_DAYS_ENV, BACKFILL_THROUGH_ENV, BACKFILLED_DAYS_ENV)


def _days(days: tuple[date, ...]) -> str:
    return ",".join(day.isoformat() for day in days)


def event_days_env(plan: BuildPlan) -> dict[str, str]:
    """The environment that names the days to rebuild; empty on a full refresh."""
    if plan.full_refresh:
        return {}
    env = {EVENT_DAYS_ENV: _days(plan.event_days) or NO_DAYS}
    if plan.backfill and plan.event_days and plan.watermark:
        env[BACKFILL_THROUGH_ENV] = plan.watermark
    return env


def backfilled_days_env(days: tuple[date, ...]) -> dict[str, str]:
    """The environment that tells the marts which days a backfill rebuilt."""
    return {BACKFILLED_DAYS_ENV: _days(days)} if days else {}


def dbt_build_args(plan: BuildPlan, extra_vars: dict[str, object] | None = None) -> list[str]:
    """`dbt build` arguments for a plan (the days travel in event_days_env)."""
    args = ["build"]
    variables = dict(extra_vars or {})
    if variables:
        args += ["--vars", json.dumps(variables)]
    if plan.full_refresh:
        args.append("--full-refresh")
    return args


def plan_build(home: DataHome, *, full_refresh: bool = False) -> BuildPlan:
    """The days bronze received since the warehouse's watermark."""
    manifest, events = bronze_table(MANIFEST), bronze_table(EVENTS)
    if not manifest.files(home.bronze):
        return BuildPlan((), None, full_refresh)
    watermark = built_watermark(home)
    with duckdb.connect() as connection:
        newest = connection.execute(
            f"select max(batch_id) from read_parquet('{manifest.glob(home.bronze)}')"
        ).fetchall()[0][0]
        days_query = (
            f"select distinct {events.partitioned_by} from read_parquet("
            f"'{events.glob(home.bronze)}', hive_partitioning = true,"
            f" hive_types = {{'{events.partitioned_by}': date}})"
        )
        parameters: list[object] = []
        if not full_refresh and watermark is not None:
            days_query += " where batch_id > ?"
            parameters = [watermark]
        days = sorted(row[0] for row in connection.execute(days_query, parameters).fetchall())
    return BuildPlan(tuple(days), newest, full_refresh, built_through=watermark)


def plan_backfill(home: DataHome, days: tuple[date, ...]) -> BuildPlan:
    """Rebuild these days through the warehouse's watermark.

    A warehouse never built has nothing to backfill: the plan is then a first build.
    """
    watermark = built_watermark(home)
    if watermark is None:
        return plan_build(home)
    return BuildPlan(tuple(sorted(days)), watermark, backfill=True, built_through=watermark)


def record_watermark(home: DataHome, plan: BuildPlan) -> None:
    """After a successful build: the warehouse is built through the plan's batch.

    A backfill keeps the watermark and leaves its days for the marts to catch up with.
    """
    if plan.watermark is None:
        return
    if plan.backfill:
        record_backfill(home, plan.event_days)
    else:
        record_build(home, plan.watermark, plan.event_days)
