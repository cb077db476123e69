"""Find personal data in a warehouse: every email address and phone number bronze's records
hold, and any string shaped like one, in every column of every table of a schema.

Shared by the tests of tests/test_personal_data.py and tests/test_forget.py."""

from __future__ import annotations

import duckdb

from orchestration.bronze_layout import EVENTS, REJECTS, bronze_table
from orchestration.paths import DataHome

EMAIL_SHAPE = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"
PHONE_SHAPE = r"\+[0-9][0-9 ()-]{6,18}[0-9]"
"""A phone number as the hooks write one (E.164, a `+` then digits); bare digit strings are
too like the ids and counts the marts are made of to be told apart by shape alone."""


def bronze_personal_values(home: DataHome) -> set[str]:
    """Every email address and phone number in bronze's records and rejects, as written, and
    the phones' digits alone (how a model that stripped the `+` would show them)."""
    events, rejects = bronze_table(EVENTS), bronze_table(REJECTS)
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"""
            with texts as (
                select record as text from read_parquet('{events.glob(home.bronze)}')
                union all
                select raw from read_parquet('{rejects.glob(home.bronze)}')
            ),
            found as (
                select unnest(regexp_extract_all(text, '"({EMAIL_SHAPE})"', 1)) as value
                from texts
                union all
                select unnest(regexp_extract_all(text, '"({PHONE_SHAPE})"', 1)) from texts
            )
            select distinct value from found
            """
        ).fetchall()
    values = {value for (value,) in rows}
    return values | {value.lstrip("+") for value in values if value.startswith("+")}


def personal_data_in(home: DataHome, schema: str, values: set[str]) -> dict[str, int]:
    """Per `table.column` of `schema`: how many cells equal one of `values` (case-insensitive)
    or hold an email- or phone-shaped string. Every column is read as text."""
    found: dict[str, int] = {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        connection.execute("create temporary table personal (value varchar)")
        connection.executemany("insert into personal values (?)", [[v.lower()] for v in values])
        columns = connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = ? order by table_name, ordinal_position",
            [schema],
        ).fetchall()
        for table, column in columns:
            text = f'lower(cast("{column}" as varchar))'
            count = connection.execute(
                f'select count(*) from "{schema}"."{table}" '
                f"where {text} in (select value from personal) "
                f"or regexp_matches({text}, '{EMAIL_SHAPE}') "
                f"or regexp_matches({text}, '{PHONE_SHAPE}')"
            ).fetchall()[0][0]
            if count:
                found[f"{table}.{column}"] = count
    return found


def cells_holding(home: DataHome, schemas: tuple[str, ...], needles: list[str]) -> dict[str, int]:
    """Per `schema.table.column` (base tables of `schemas`): how many cells, read as text,
    contain one of `needles` (case-insensitive)."""
    found: dict[str, int] = {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        columns = connection.execute(
            "select c.table_schema, c.table_name, c.column_name from information_schema.columns c "
            "join information_schema.tables t using (table_catalog, table_schema, table_name) "
            "where t.table_type = 'BASE TABLE' and list_contains(?, c.table_schema) "
            "order by all",
            [list(schemas)],
        ).fetchall()
        for schema, table, column in columns:
            text = f'lower(cast("{column}" as varchar))'
            condition = " or ".join(f"contains({text}, ?)" for _ in needles)
            count = connection.execute(
                f'select count(*) from "{schema}"."{table}" where {condition}',
                [needle.lower() for needle in needles],
            ).fetchall()[0][0]
            if count:
                found[f"{schema}.{table}.{column}"] = count
    return found
