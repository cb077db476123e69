"""Row-for-row comparison of the DuckDB warehouse with the Spark warehouse of one data home.

Both engines build from the same bronze files, so every table must hold the same rows. The
Spark tables are read from their Parquet files (orchestration/warehouse/spark_files.py) by
DuckDB, and each is compared with its DuckDB twin by `EXCEPT ALL` in both directions, on the
DuckDB table's columns and types. Three representations differ by engine and are brought
to one form first: JSON (DuckDB's JSON type, Spark's JSON text: compared as minified JSON),
floating-point numbers (compared to 1e-9, rounded), and the event_day partition column
(Spark stores it in the folder name).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.paths import DataHome
from orchestration.warehouse.spark_files import spark_files_connection

COMPARED_SCHEMAS = ("core", "intermediate", "marts", "reference")
RATE_DIGITS = 9


@dataclass(frozen=True)
class TableDifference:
    table: str
    only_duckdb: int
    only_spark: int
    duckdb_rows: int
    spark_rows: int


def _expression(column: str, data_type: str) -> str:
    quoted = f'"{column}"'
    if data_type == "JSON":
        return f"cast(json({quoted}) as varchar) as {quoted}"
    if data_type in ("DOUBLE", "FLOAT"):
        return f"round({quoted}, {RATE_DIGITS}) as {quoted}"
    return f"cast({quoted} as {data_type}) as {quoted}"


def compare_engines(
    home: DataHome, *, warehouse: Path | None = None
) -> tuple[list[str], list[TableDifference]]:
    """The tables compared, and those whose rows differ (empty when the engines agree).
    `warehouse`: another DuckDB file than the data home's."""
    warehouse = warehouse or home.warehouse
    spark = spark_files_connection(home)
    assert spark is not None, "the Spark warehouse holds no table"
    duck = duckdb.connect(str(warehouse), read_only=True)
    compared: list[str] = []
    differences: list[TableDifference] = []
    with spark, duck:
        tables = duck.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
            " where table_type = 'BASE TABLE' and table_schema in "
            f"({', '.join(repr(s) for s in COMPARED_SCHEMAS)}) order by 1"
        ).fetchall()
        spark.execute(f"attach '{warehouse}' as duck (read_only)")
        for (table,) in tables:
            schema, name = table.split(".")
            columns = duck.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            select = ", ".join(_expression(c, t) for c, t in columns)
            duck_rows = f"select {select} from duck.{table}"
            spark_rows = f"select {select} from {table}"
            if spark.execute(
                "select count(*) from information_schema.columns"
                " where table_catalog = 'memory' and table_schema = ? and table_name = ?"
                " and column_name = 'no_rows'",
                [schema, name],
            ).fetchall()[0][0]:
                spark_rows = f"select {select} from duck.{table} where false"
            counts = [
                spark.execute(f"select count(*) from ({query})").fetchall()[0][0]
                for query in (
                    f"{duck_rows} except all {spark_rows}",
                    f"{spark_rows} except all {duck_rows}",
                    duck_rows,
                    spark_rows,
                )
            ]
            compared.append(table)
            if counts[0] or counts[1] or counts[2] != counts[3]:
                differences.append(TableDifference(table, *counts))
    return compared, differences
