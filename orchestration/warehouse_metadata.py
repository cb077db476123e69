"""What the Dagster UI shows for a dbt materialization, read from the warehouse after dbt ran.

dbt holds the DuckDB file while it runs, so these read it once dbt has exited.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg
import duckdb

from orchestration.paths import DataHome

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


def _present(connection: duckdb.DuckDBPyConnection, *, tables_only: bool = False) -> set[str]:
    """The tables (and views, unless `tables_only`) of the warehouse, as `schema.name`."""
    rows = connection.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
        + (" where table_type = 'BASE TABLE'" if tables_only else "")
    ).fetchall()
    return {name for (name,) in rows}


def row_counts(home: DataHome, tables: Iterable[str]) -> dict[str, int]:
    """Rows per table (`schema.name`), for those that exist as tables (a view would be
    computed again to be counted)."""
    wanted = list(tables)
    if not wanted or not home.warehouse.exists():
        return {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        present = _present(connection, tables_only=True)
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
    if not home.warehouse.exists():
        return {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        if not {"bronze.hook_events", "core.hook_events"} <= _present(connection):
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


def campaign_summary(home: DataHome) -> dg.TableMetadataValue | None:
    """The campaigns with the most sends, as a table the UI renders."""
    if not home.warehouse.exists():
        return None
    names = [name for name, _ in CAMPAIGN_SUMMARY_COLUMNS]
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        if CAMPAIGN_SUMMARY_TABLE not in _present(connection):
            return None
        rows = connection.execute(
            f"select {', '.join(names)} from {CAMPAIGN_SUMMARY_TABLE} "
            f"order by sent desc, account_id, campaign_id, channel limit {CAMPAIGN_SUMMARY_ROWS}"
        ).fetchall()
    records = [
        dg.TableRecord(
            {
                name: (round(value, 4) if isinstance(value, float) else value)
                for name, value in zip(names, row, strict=True)
            }
        )
        for row in rows
    ]
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind) for name, kind in CAMPAIGN_SUMMARY_COLUMNS]
    )
    return dg.MetadataValue.table(records=records, schema=schema)
