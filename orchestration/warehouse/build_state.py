"""The build state each target keeps beside its models, in schema `hookhouse` of its state
database (the warehouse file on DuckDB; orchestration/warehouse/target.py):

- `build_state`: the newest bronze batch each build was built through (the watermark);
- `appended_days`: event days the core tables appended to since the marts were built;
- `backfilled_days`: event days a backfill rebuilt since the marts were built.

The marts are a later dbt step than the core tables, so these say which days the marts
must recompute when they next build.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Literal

import duckdb

from orchestration.paths import DataHome
from orchestration.warehouse.tables import existing_tables
from orchestration.warehouse.target import Target

DayTable = Literal["appended_days", "backfilled_days"]


def state_database(home: DataHome) -> Path:
    """The file the configured target's build state is in (HOOKHOUSE_TARGET)."""
    return Target.from_env().state_database(home)


def _writable(home: DataHome) -> duckdb.DuckDBPyConnection:
    path = state_database(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(path))


def built_watermark(home: DataHome) -> str | None:
    """The newest bronze batch the warehouse was built from, or None."""
    if not state_database(home).exists():
        return None
    with duckdb.connect(str(state_database(home)), read_only=True) as connection:
        if "hookhouse.build_state" not in existing_tables(connection):
            return None
        return connection.execute(
            "select max(built_through_batch) from hookhouse.build_state"
        ).fetchall()[0][0]


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


def record_build(home: DataHome, watermark: str, appended: Sequence[date]) -> None:
    """A build through `watermark` appended new events to these days."""
    with _writable(home) as connection:
        _create_state(connection)
        connection.execute(
            "insert into hookhouse.build_state values (?, ?, now()::timestamp)",
            [watermark, len(appended)],
        )
        if appended:
            connection.executemany(
                "insert into hookhouse.appended_days values (?, now()::timestamp)",
                [[day] for day in appended],
            )


def record_backfill(home: DataHome, days: Sequence[date]) -> None:
    """A backfill rebuilt these days (the watermark stays)."""
    with _writable(home) as connection:
        _create_state(connection)
        connection.executemany(
            "insert into hookhouse.backfilled_days values (?, now()::timestamp)",
            [[day] for day in days],
        )


def pending_backfilled_days(home: DataHome) -> tuple[date, ...]:
    """Days a backfill rebuilt that the marts have not been built since."""
    return _pending_days(home, "backfilled_days")


def pending_appended_days(home: DataHome) -> tuple[date, ...]:
    """Days the core tables appended new events to since the marts were last built: the
    days the marts' incremental models recompute (the marts are a later dbt step, after
    the core step has moved the watermark)."""
    return _pending_days(home, "appended_days")


def _pending_days(home: DataHome, table: DayTable) -> tuple[date, ...]:
    if not state_database(home).exists():
        return ()
    with duckdb.connect(str(state_database(home)), read_only=True) as connection:
        if f"hookhouse.{table}" not in existing_tables(connection):
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


def _clear_days(home: DataHome, table: DayTable, days: tuple[date, ...]) -> None:
    if not days:
        return
    with _writable(home) as connection:
        _create_state(connection)
        connection.executemany(
            f"delete from hookhouse.{table} where event_day = ?", [[d] for d in days]
        )
