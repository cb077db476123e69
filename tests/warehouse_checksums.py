"""Two warehouses compared table by table: a checksum of each table's sorted rows, and on a
mismatch the table and a few rows only one side has (EXCEPT ALL both ways). And what a data
home whose runs have all finished must not hold (`home_problems`).

Two data homes built from the same landing files hold the same data under different batch
ids (an ingest names its batch by the time it started plus a random suffix) and different
ingest times. So a column that carries a batch id is compared as that batch's ordinal in its
own home (the 1st, 2nd... committed batch of `bronze.ingested_files`, in batch id order, which
is ingest order): rows must still come from the same batch, but not by the same name. A batch
id that is no committed batch of its home compares as `not committed: <id>`, which no other
home has. The wall-clock columns are left out. Nothing else is left out.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.defs.dbt.handoff import handoff_path
from orchestration.ingest.bronze import read_manifest
from orchestration.paths import DataHome
from orchestration.warehouse.build_state import (
    built_watermark,
    pending_appended_days,
    pending_backfilled_days,
)

COMPARED_SCHEMAS = ("bronze", "staging", "reference", "core", "intermediate", "marts")
"""Every schema of the warehouse but `hookhouse`, the build bookkeeping (one row per build,
with build times: a recovered run legitimately adds a row), which the crash tests check on
their own (watermark, pending days)."""

BATCH_COLUMNS = {
    # bronze.hook_events, bronze.hook_rejects, bronze.ingested_files, staging.stg_hook__events,
    # core.hook_events, core.fct_<family>_events, core.subscription_observations: the batch
    # that delivered the row. intermediate.int_campaign_recipients: the newest batch merged
    # into the row.
    "batch_id": "the batch that delivered (or last changed) the row",
    # intermediate.int_recipient_engagement_daily and marts.campaign_daily, campaign_launches,
    # campaign_links, campaign_performance, deliverability_daily, loyalty_daily,
    # popup_funnel, promocode_daily: max(batch_id) of the events behind the row.
    "built_through_batch": "the newest batch behind the row",
    # marts.subscription_history: max(batch_id) of the subscription's observations.
    "observed_through_batch": "the newest batch of the subscription's observations",
}
"""Columns holding a batch id: compared as the batch's ordinal in its home."""

EXCLUDED_COLUMNS = {
    # bronze.hook_events, bronze.hook_rejects, bronze.ingested_files, staging.stg_hook__events,
    # core.hook_events: when the ingest of the batch ran (datetime.now() in the ingest's
    # process), so it differs between any two data homes. Every other timestamp of the
    # warehouse (event_at, valid_from, first_opened_at, launched_at...) is an event time from
    # the landing files and is compared. No core, intermediate or mart column holds a build
    # time (`hookhouse.build_state.built_at` and the `*_at` of the pending-day tables are in
    # schema `hookhouse`, not compared).
    "ingested_at": "the wall-clock time of the ingest",
}
"""Columns left out of the comparison, with why."""

Columns = list[tuple[str, str]]


def compared_tables(connection: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, Columns]:
    """Every table and view of the compared schemas in `catalog`: its columns and types."""
    rows = connection.execute(
        "select table_schema || '.' || table_name, column_name, data_type "
        "from information_schema.columns where table_catalog = ? and table_schema in "
        f"({', '.join('?' for _ in COMPARED_SCHEMAS)}) order by 1, ordinal_position",
        [catalog, *COMPARED_SCHEMAS],
    ).fetchall()
    tables: dict[str, Columns] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def _select(catalog: str, table: str, columns: Columns) -> str:
    """The rows of `catalog.table` as compared: batch ids as ordinals, wall clocks left out."""
    expressions = []
    for column, _ in columns:
        if column in EXCLUDED_COLUMNS:
            continue
        quoted = f'x."{column}"'
        if column in BATCH_COLUMNS:
            ordinal = f"(select b.ordinal from {catalog}_batches as b where b.batch_id = {quoted})"
            quoted = f"coalesce(cast({ordinal} as varchar), 'not committed: ' || {quoted})"
        expressions.append(f'{quoted} as "{column}"')
    return f"select {', '.join(expressions)} from {catalog}.{table} as x"


def checksum(
    connection: duckdb.DuckDBPyConnection, catalog: str, table: str, columns: Columns
) -> tuple[int, str]:
    """(rows, md5 of the sorted rows as text) of one table as compared."""
    row = connection.execute(
        "select count(*), md5(coalesce(string_agg(cast(t as varchar), '|' "
        f"order by cast(t as varchar)), '')) from ({_select(catalog, table, columns)}) as t"
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def _only_in(
    connection: duckdb.DuckDBPyConnection,
    table: str,
    columns: Columns,
    one: str,
    other: str,
    limit: int,
) -> list[str]:
    """Up to `limit` rows of `one`'s table that `other`'s lacks (with multiplicity)."""
    rows = connection.execute(
        f"select cast(t as varchar) from ({_select(one, table, columns)} except all "
        f"{_select(other, table, columns)}) as t order by 1 limit {limit}"
    ).fetchall()
    return [str(text) for (text,) in rows]


def attach(connection: duckdb.DuckDBPyConnection, warehouse: Path, catalog: str) -> None:
    """Attach a warehouse read-only, with the ordinals of its home's committed batches."""
    connection.execute(f"attach '{warehouse}' as {catalog} (read_only)")
    connection.execute(
        f"create temp table {catalog}_batches as select batch_id, "
        "row_number() over (order by batch_id) as ordinal from "
        f"(select distinct batch_id from {catalog}.bronze.ingested_files)"
    )


def differences(trial: Path, reference: Path, *, rows: int = 3) -> list[str]:
    """What differs between two warehouses (empty: equal, table for table), each difference
    with the table and up to `rows` rows found only on each side."""
    found: list[str] = []
    with duckdb.connect() as connection:
        attach(connection, trial, "trial")
        attach(connection, reference, "ref")
        theirs, ours = compared_tables(connection, "ref"), compared_tables(connection, "trial")
        if set(ours) != set(theirs):
            found.append(
                f"tables only in the trial: {sorted(set(ours) - set(theirs))}; "
                f"only in the reference: {sorted(set(theirs) - set(ours))}"
            )
        for table in sorted(set(ours) & set(theirs)):
            if ours[table] != theirs[table]:
                found.append(f"{table}: columns {ours[table]} != reference {theirs[table]}")
                continue
            mine, reference_sum = (
                checksum(connection, catalog, table, ours[table]) for catalog in ("trial", "ref")
            )
            if mine == reference_sum:
                continue
            extra = _only_in(connection, table, ours[table], "trial", "ref", rows)
            missing = _only_in(connection, table, ours[table], "ref", "trial", rows)
            found.append(
                f"{table}: {mine[0]} rows (md5 {mine[1]}) != reference {reference_sum[0]} rows "
                f"(md5 {reference_sum[1]})\n  only in the trial: {extra}\n"
                f"  only in the reference: {missing}"
            )
    return found


def table_count(warehouse: Path) -> int:
    """How many tables and views the comparison covers in this warehouse."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        catalog = connection.execute("select current_database()").fetchall()[0][0]
        return len(compared_tables(connection, catalog))


def leftovers(home: Path) -> list[str]:
    """Staged or temporary files a finished run left: in bronze, anything under `_staging`,
    any `.tmp` or dot file; in the data home, a `.tmp` file or an unread marts hand-off."""
    found = []
    bronze = home / "bronze"
    for path in sorted(bronze.rglob("*")):
        relative = path.relative_to(bronze)
        staged = relative.parts[0] == "_staging" and len(relative.parts) > 1
        if staged or path.name.endswith(".tmp") or path.name.startswith("."):
            found.append(f"bronze/{relative}")
    found += [path.name for path in sorted(home.glob("*.tmp"))]
    if handoff_path(DataHome(home)).exists():
        found.append(handoff_path(DataHome(home)).name)
    return found


BRONZE_CHECKS = {
    "views that read another data home": "select count(*) from duckdb_views() "
    "where schema_name = 'bronze' and not contains(sql, '{bronze}/')",
    "files ingested twice": "select count(*) - count(distinct content_hash) "
    "from bronze.ingested_files",
    "landing paths ingested twice": "select count(*) - count(distinct source_file) "
    "from bronze.ingested_files",
    "records kept twice": "select count(*) - count(distinct (source_file, position)) "
    "from bronze.hook_events",
    "records rejected twice": "select count(*) - count(distinct (source_file, position)) "
    "from bronze.hook_rejects",
    "kept rows of no committed batch of their file": "select count(*) from bronze.hook_events "
    "as e anti join bronze.ingested_files as f using (source_file, batch_id)",
    "rejected rows of no committed batch of their file": "select count(*) from "
    "bronze.hook_rejects as r anti join bronze.ingested_files as f using (source_file, batch_id)",
}
"""Each query counts what must not exist."""


def home_problems(home: Path) -> list[str]:
    """What a caught-up data home must not show: leftovers, bronze rows twice or uncommitted,
    a watermark short of bronze, days the marts still owe."""
    problems = [f"left behind: {path}" for path in leftovers(home)]
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        for what, query in BRONZE_CHECKS.items():
            count = connection.execute(query.format(bronze=home / "bronze")).fetchall()[0][0]
            if count:
                problems.append(f"bronze: {count} {what}")
    data_home = DataHome(home)
    newest = str(read_manifest(data_home.bronze)["batch_id"].max())
    if (watermark := built_watermark(data_home)) != newest:
        problems.append(f"the warehouse is built through {watermark}, bronze through {newest}")
    pending = pending_appended_days(data_home) + pending_backfilled_days(data_home)
    if pending:
        problems.append(f"days the marts have not caught up with: {pending}")
    return problems
