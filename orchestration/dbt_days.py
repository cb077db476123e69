"""Which UTC event days a dbt run must rebuild, and the dbt arguments that say so.

The warehouse records the newest bronze batch it has been built from (`hookhouse.build_state`).
Every bronze batch after it brought events for some days; those days, however old, are the
ones an incremental run rebuilds (HOOKHOUSE_EVENT_DAYS, see macros/incremental.sql).
A run with no new batch rebuilds no day. A backfill (a partitioned Dagster run) instead
rebuilds the days it names, through the watermark; the marts catch up with those days at
their next build (`hookhouse.backfilled_days`). Pure functions first; those that touch files
last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb

from orchestration.paths import DataHome

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

    @property
    def has_new_data(self) -> bool:
        return bool(self.event_days)


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


def _parquet(home: DataHome, table: str) -> str:
    pattern = "*/*.parquet" if table == "hook_events" else "*.parquet"
    return f"{home.bronze / table}/{pattern}"


def built_watermark(home: DataHome) -> str | None:
    """The newest bronze batch the warehouse was built from, or None."""
    if not home.warehouse.exists():
        return None
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        if not _has_state(connection):
            return None
        return connection.execute(
            "select max(built_through_batch) from hookhouse.build_state"
        ).fetchall()[0][0]


def _has_state(connection: duckdb.DuckDBPyConnection) -> bool:
    rows = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'hookhouse' and table_name = 'build_state'"
    ).fetchall()
    return rows[0][0] > 0


def plan_build(home: DataHome, *, full_refresh: bool = False) -> BuildPlan:
    """The days bronze received since the warehouse's watermark."""
    if not list((home.bronze / "ingested_files").glob("*.parquet")):
        return BuildPlan((), None, full_refresh)
    watermark = built_watermark(home)
    with duckdb.connect() as connection:
        newest = connection.execute(
            f"select max(batch_id) from read_parquet('{_parquet(home, 'ingested_files')}')"
        ).fetchall()[0][0]
        if full_refresh or watermark is None:
            days_query = (
                f"select distinct event_day from read_parquet('{_parquet(home, 'hook_events')}',"
                " hive_partitioning = true, hive_types = {'event_day': date})"
            )
            parameters: list[object] = []
        else:
            days_query = (
                f"select distinct event_day from read_parquet('{_parquet(home, 'hook_events')}',"
                " hive_partitioning = true, hive_types = {'event_day': date}) where batch_id > ?"
            )
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
    with duckdb.connect(str(home.warehouse)) as connection:
        _create_state(connection)
        if plan.backfill:
            connection.executemany(
                "insert into hookhouse.backfilled_days values (?, now()::timestamp)",
                [[day] for day in plan.event_days],
            )
            return
        connection.execute(
            "insert into hookhouse.build_state values (?, ?, now()::timestamp)",
            [plan.watermark, len(plan.event_days)],
        )
        if plan.event_days:
            connection.executemany(
                "insert into hookhouse.appended_days values (?, now()::timestamp)",
                [[day] for day in plan.event_days],
            )


def _create_state(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute("create schema if not exists hookhouse")
    connection.execute(
        "create table if not exists hookhouse.build_state "
        "(built_through_batch varchar, event_days integer, built_at timestamp)"
    )
    connection.execute(
        "create table if not exists hookhouse.backfilled_days "
        "(event_day date, backfilled_at timestamp)"
    )
    connection.execute(
        "create table if not exists hookhouse.appended_days (event_day date, appended_at timestamp)"
    )


def pending_backfilled_days(home: DataHome) -> tuple[date, ...]:
    """Days a backfill rebuilt that the marts have not been built since."""
    return _pending_days(home, "backfilled_days")


def pending_appended_days(home: DataHome) -> tuple[date, ...]:
    """Days the core tables appended new events to since the marts were last built: the
    days the marts' incremental models recompute (the marts are a later dbt step, after
    the core step has moved the watermark)."""
    return _pending_days(home, "appended_days")


def _pending_days(home: DataHome, table: str) -> tuple[date, ...]:
    if not home.warehouse.exists():
        return ()
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'hookhouse' and table_name = ?",
            [table],
        ).fetchall()
        if not rows[0][0]:
            return ()
        days = connection.execute(
            f"select distinct event_day from hookhouse.{table} order by 1"
        ).fetchall()
    return tuple(day for (day,) in days)


def clear_backfilled_days(home: DataHome, days: tuple[date, ...]) -> None:
    """After the marts were built with these days: they are caught up."""
    _clear_days(home, "backfilled_days", days)


def clear_appended_days(home: DataHome, days: tuple[date, ...]) -> None:
    """After the marts were built with these days: they are caught up."""
    _clear_days(home, "appended_days", days)


def _clear_days(home: DataHome, table: str, days: tuple[date, ...]) -> None:
    if not days:
        return
    with duckdb.connect(str(home.warehouse)) as connection:
        _create_state(connection)
        connection.executemany(
            f"delete from hookhouse.{table} where event_day = ?", [[d] for d in days]
        )
