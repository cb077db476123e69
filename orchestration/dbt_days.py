"""Which UTC event days a dbt run must rebuild, and the dbt arguments that say so.

The warehouse records the newest bronze batch it has been built from (`hookhouse.build_state`).
Every bronze batch after it brought events for some days; those days, however old, are the
ones an incremental run rebuilds (HOOKHOUSE_EVENT_DAYS, see macros/incremental.sql).
A run with no new batch rebuilds no day. Pure functions first; the two that touch files last.
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

    @property
    def has_new_data(self) -> bool:
        return bool(self.event_days)


EVENT_DAYS_ENV = "HOOKHOUSE_EVENT_DAYS"
"""How the days reach dbt (macros/tests/get_where_subquery.sql): an environment variable,
because a change of --vars makes dbt parse the whole project again."""


def event_days_env(plan: BuildPlan) -> dict[str, str]:
    """The environment that names the days to rebuild; empty on a full refresh."""
    if plan.full_refresh:
        return {}
    days = ",".join(day.isoformat() for day in plan.event_days)
    return {EVENT_DAYS_ENV: days or NO_DAYS}


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
    return BuildPlan(tuple(days), newest, full_refresh)


def record_watermark(home: DataHome, plan: BuildPlan) -> None:
    """After a successful build: the warehouse is built through the plan's batch."""
    if plan.watermark is None:
        return
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute("create schema if not exists hookhouse")
        connection.execute(
            "create table if not exists hookhouse.build_state "
            "(built_through_batch varchar, event_days integer, built_at timestamp)"
        )
        connection.execute(
            "insert into hookhouse.build_state values (?, ?, now()::timestamp)",
            [plan.watermark, len(plan.event_days)],
        )
