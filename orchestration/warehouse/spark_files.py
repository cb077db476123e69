"""The `spark` target's tables, read by DuckDB straight from their Parquet files.

With dbt-spark's session method the warehouse directory is `$HOOKHOUSE_HOME/spark/warehouse`:
a folder `<schema>.db/<table>/` per table, of plain Parquet (partitioned tables in
`event_day=YYYY-MM-DD/` folders). hookhouse reads its row counts and summaries from those
files, as any Parquet reader can, without starting a JVM or taking Spark's single-process
metastore from a running build. A table being overwritten at that moment may read as its old
or its new files; the figures are the run's report, not a query result (`hookhouse query`
asks Spark itself).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.bronze_layout import bronze_tables
from orchestration.paths import DataHome
from orchestration.warehouse.target import spark_warehouse


def spark_table_folders(home: DataHome) -> dict[str, Path]:
    """`schema.table` to its folder, for every table (an empty one may have no file)."""
    folders: dict[str, Path] = {}
    root = spark_warehouse(home)
    if not root.is_dir():
        return folders
    for schema in sorted(root.glob("*.db")):
        for table in sorted(p for p in schema.iterdir() if p.is_dir()):
            if not table.name.startswith(("_", ".")):
                folders[f"{schema.name.removesuffix('.db')}.{table.name}"] = table
    return folders


def _parquet(folder: Path) -> str:
    partitioned = any(p.is_dir() and "=" in p.name for p in folder.iterdir())
    parts = f"{folder}/*/*.parquet" if partitioned else f"{folder}/*.parquet"
    return (
        f"read_parquet('{parts}', hive_partitioning = {str(partitioned).lower()},"
        " union_by_name = true)"
    )


def spark_files_connection(home: DataHome) -> duckdb.DuckDBPyConnection | None:
    """An in-memory DuckDB with a view per Spark table (and per bronze table, which Spark
    reads in place); None when the Spark warehouse holds no table yet."""
    folders = spark_table_folders(home)
    if not folders:
        return None
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    for name, folder in folders.items():
        schema = name.split(".", 1)[0]
        connection.execute(f"create schema if not exists {schema}")
        if any(folder.rglob("*.parquet")):
            connection.execute(f"create view {name} as select * from {_parquet(folder)}")
        else:  # Spark writes no file for a table without rows
            connection.execute(f"create view {name} as select null as no_rows where false")
    connection.execute("create schema if not exists bronze")
    for table in bronze_tables().values():
        if table.files(home.bronze):
            hive = "hive_partitioning = true, " if table.partitioned_by else ""
            connection.execute(
                f"create view bronze.{table.name} as select * from "
                f"read_parquet('{table.glob(home.bronze)}', {hive}union_by_name = true)"
            )
    return connection
