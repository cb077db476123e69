"""What the warehouse holds: which tables exist, their row counts, the run's new events, and
the campaign summary, read after dbt ran (dbt holds the DuckDB file while it runs).

`existing_tables` is the one answer to "does this table exist"; everything else asks it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import duckdb

from orchestration.paths import DataHome
from orchestration.warehouse.spark_files import spark_files_connection
from orchestration.warehouse.target import Target, spark_warehouse

CAMPAIGN_SUMMARY_TABLE = "marts.campaign_performance"
CAMPAIGN_SUMMARY_ROWS = 20
CAMPAIGN_SUMMARY_COLUMNS = (
    ("account_id", "int"),
    ("campaign_id", "int"),
    ("channel", "string"),
    ("sent", "int"),
    ("delivered", "int"),
    ("unique_opens", "int"),
    ("unique_clicks", "int"),
    ("unsubscribes", "int"),
    ("delivery_rate", "float"),
    ("unique_open_rate", "float"),
    ("unique_click_rate", "float"),
)
"""The columns of the summary, with the kind the Dagster UI renders each as."""

SUMMARY_TABLES = (
    "core.hook_events",
    "marts.campaign_performance",
    "marts.campaign_uplift",
    "marts.subscription_history",
    "marts.subscription_daily",
    "marts.profile_engagement",
    "marts.deliverability_daily",
    "marts.promocode_daily",
    "marts.loyalty_daily",
    "marts.popup_funnel",
    "marts.campaign_launches",
)
"""The tables `hookhouse run` reports the rows of."""


def existing_tables(
    connection: duckdb.DuckDBPyConnection, *, tables_only: bool = False
) -> set[str]:
    """The tables (and views, unless `tables_only`) of the warehouse, as `schema.name`."""
    rows = connection.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
        + (" where table_type = 'BASE TABLE'" if tables_only else "")
    ).fetchall()
    return {name for (name,) in rows}


def _read_only(home: DataHome) -> duckdb.DuckDBPyConnection | None:
    """The configured target's warehouse, read-only; None before it exists (or where its
    files are not here: a Spark Thrift Server's)."""
    target = Target.from_env()
    if target.engine == "duckdb":
        if not home.warehouse.exists():
            return None
        return duckdb.connect(str(home.warehouse), read_only=True)
    return spark_files_connection(home) if target.in_process else None


def _stored_tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables whose rows are stored (on Spark, every table: read as views of its files)."""
    if Target.from_env().engine == "spark":
        return existing_tables(connection)
    return existing_tables(connection, tables_only=True)


def row_counts(home: DataHome, tables: Iterable[str]) -> dict[str, int]:
    """Rows per table (`schema.name`), for those that exist as tables (a view would be
    computed again to be counted)."""
    wanted = list(tables)
    if not wanted or (reader := _read_only(home)) is None:
        return {}
    with reader as connection:
        present = _stored_tables(connection)
        return {
            table: connection.execute(f"select count(*) from {table}").fetchall()[0][0]
            for table in wanted
            if table in present
        }


def new_event_counts(home: DataHome, since_batch: str | None) -> dict[str, int]:
    """Deliveries bronze received after `since_batch`, and how many were new events.

    A delivery of an event already seen (in this run or before) is a duplicate; it stays in
    bronze and counts once in core.hook_events.
    """
    if (reader := _read_only(home)) is None:
        return {}
    with reader as connection:
        if not {"bronze.hook_events", "core.hook_events"} <= existing_tables(connection):
            return {}
        since = since_batch or ""
        deliveries = connection.execute(
            "select count(*) from bronze.hook_events where batch_id > ?", [since]
        ).fetchall()[0][0]
        new_events = connection.execute(
            "select count(*) from core.hook_events where batch_id > ?", [since]
        ).fetchall()[0][0]
    return {
        "deliveries": deliveries,
        "new_events": new_events,
        "duplicates": deliveries - new_events,
    }


def campaign_summary_rows(home: DataHome) -> list[dict[str, Any]] | None:
    """The campaigns with the most sends (rates rounded to 4 places); None before the mart
    exists."""
    if (reader := _read_only(home)) is None:
        return None
    names = [name for name, _ in CAMPAIGN_SUMMARY_COLUMNS]
    with reader as connection:
        if CAMPAIGN_SUMMARY_TABLE not in existing_tables(connection):
            return None
        rows = connection.execute(
            f"select {', '.join(names)} from {CAMPAIGN_SUMMARY_TABLE} "
            f"order by sent desc, account_id, campaign_id, channel limit {CAMPAIGN_SUMMARY_ROWS}"
        ).fetchall()
    return [
        {
            name: (round(value, 4) if isinstance(value, float) else value)
            for name, value in zip(names, row, strict=True)
        }
        for row in rows
    ]


def warehouse_summary(home: DataHome) -> list[str]:
    """Row counts of the main tables, as `hookhouse run` prints them after a run."""
    if (reader := _read_only(home)) is None:
        return []
    target = Target.from_env()
    place = home.warehouse if target.engine == "duckdb" else spark_warehouse(home)
    lines = [f"  warehouse {place}:"]
    with reader as connection:
        present = existing_tables(connection)
        for table in SUMMARY_TABLES:
            if table in present:
                rows = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
                lines.append(f"    {table}: {rows} rows")
        families = [t for t in sorted(present) if t.startswith("core.fct_")]
        if families:
            lines.append(f"    {len(families)} family fact tables (core.fct_<family>_events)")
    return lines
