"""`hookhouse query SQL`: one read-only query against the configured target, rows to stdout.

The query is checked before anything runs: it must be a single read-only statement (SELECT,
WITH ... SELECT, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN, DuckDB's FROM-first SELECT). On DuckDB
the check is DuckDB's own parser (`duckdb.extract_statements`), and the warehouse is opened
read-only besides; on Spark it is a conservative lexical check (`spark_refusal`).

Output is CSV with a header row, or JSON lines (`--format json`): one object per row, dates and
timestamps as ISO 8601 strings (aware timestamps in UTC), decimals as exact numbers, NULL as
null (an empty CSV field). Exit codes: 0 rows printed, 1 the query failed or the warehouse
cannot be opened, 2 the query was refused (nothing ran).
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, Literal, TextIO

import duckdb

from orchestration.paths import DataHome
from orchestration.warehouse.query_result import QueryError, Refused, Result, first_line
from orchestration.warehouse.target import Target, UnknownTarget

Format = Literal["csv", "json"]
FORMATS: tuple[Format, ...] = ("csv", "json")
EXIT_FAILED = 1
EXIT_REFUSED = 2

READ_ONLY = "SELECT, WITH ... SELECT, VALUES, TABLE, SHOW, DESCRIBE, EXPLAIN"
_FETCH_BATCH = 10_000


def _refusal(what: str) -> Refused:
    article = "an" if what[:1].upper() in "AEIOU" else "a"
    return Refused(
        f"refused {article} {what} statement: hookhouse query runs one read-only query "
        f"({READ_ONLY}), nothing else"
    )


# --- DuckDB: DuckDB's parser decides ----------------------------------------------------------


def duckdb_check(sql: str) -> None:
    """Raise `Refused` unless `sql` is one read-only DuckDB statement (`QueryError` if it does
    not parse). EXPLAIN ANALYZE runs the statement it explains, so that one is checked too."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise QueryError(f"query failed: {first_line(error)}") from None
    if not statements:
        raise Refused("refused an empty query: give one read-only query (a SELECT)")
    if len(statements) > 1:
        kinds = ", ".join(statement.type.name.replace("_", " ") for statement in statements)
        raise Refused(
            f"refused {len(statements)} statements ({kinds}): hookhouse query runs exactly one "
            "read-only query"
        )
    statement = statements[0]
    if statement.type == duckdb.StatementType.SELECT:
        return
    if statement.type != duckdb.StatementType.EXPLAIN:
        raise _refusal(statement.type.name.replace("_", " "))
    explained = _explained(statement.query)
    if explained is not None and explained != duckdb.StatementType.SELECT:
        raise _refusal(f"EXPLAIN {explained.name.replace('_', ' ')}")
    if explained is None:
        raise Refused(
            "refused an EXPLAIN whose statement hookhouse could not check: "
            "write EXPLAIN [ANALYZE] SELECT ..."
        )


_EXPLAIN = re.compile(
    r"explain\s+(?:analy[sz]e\s+)?(?:\([^)]*\)\s*)?(?P<inner>.*)", re.IGNORECASE | re.DOTALL
)


def _explained(sql: str) -> duckdb.StatementType | None:
    """The type of the one statement an EXPLAIN explains, or None if it cannot be told."""
    matched = _EXPLAIN.match(_strip_sql_comments(sql))
    if matched is None:
        return None
    try:
        inner = duckdb.extract_statements(matched.group("inner"))
    except duckdb.Error:
        return None
    return inner[0].type if len(inner) == 1 else None


def _strip_sql_comments(sql: str) -> str:
    """`sql` without its leading `--` and `/* */` comments."""
    while True:
        stripped = sql.lstrip()
        if stripped.startswith("--"):
            sql = stripped.partition("\n")[2]
        elif stripped.startswith("/*") and "*/" in stripped:
            sql = stripped.partition("*/")[2]
        else:
            return stripped


def duckdb_result(home: DataHome, sql: str) -> Result:
    """Run `sql` on the DuckDB warehouse, opened read-only."""
    path = home.warehouse
    if not path.is_file():
        raise QueryError(f"no warehouse at {path}: run `hookhouse run` first")
    try:
        connection = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        message = first_line(error)
        if "lock" in message.lower():
            message += " (is a `hookhouse run` writing it? try again when it has finished)"
        raise QueryError(f"cannot open the warehouse {path}: {message}") from None
    try:
        cursor = connection.execute(sql)
        columns = [str(column[0]) for column in cursor.description or []]
    except duckdb.Error as error:
        connection.close()
        raise QueryError(f"query failed: {first_line(error)}") from None
    return Result(columns, _duckdb_rows(connection, cursor))


def _duckdb_rows(
    connection: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection
) -> Iterator[tuple[Any, ...]]:
    try:
        while batch := cursor.fetchmany(_FETCH_BATCH):
            yield from batch
    except duckdb.Error as error:
        raise QueryError(f"query failed: {first_line(error)}") from None
    finally:
        connection.close()


# --- Spark: a conservative lexical check -----------------------------------------------------

SPARK_READ_KEYWORDS = frozenset(
    {"select", "with", "values", "table", "show", "describe", "desc", "explain"}
)
SPARK_WRITE_KEYWORDS = frozenset(
    {"insert", "create", "drop", "delete", "update", "merge", "alter", "truncate"}
)
_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<comment>--[^\n]*|/\*.*?\*/)
      | (?P<quoted>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:``|[^`])*`)
      | (?P<unclosed>['"`]|/\*)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<number>[0-9][0-9A-Za-z_.]*)
      | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _spark_tokens(sql: str) -> list[str]:
    """The tokens of `sql` outside comments: words lowercased, each string literal or
    back-quoted name as `'`, punctuation one character each; `Refused` if a quote or comment
    is never closed."""
    tokens: list[str] = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        if kind == "unclosed":
            raise Refused("refused a query with an unclosed quote or comment")
        if kind == "word":
            tokens.append(match.group().lower())
        elif kind == "quoted":
            tokens.append("'")
        elif kind in ("number", "other"):
            tokens.append(match.group())
    return tokens


def spark_refusal(sql: str) -> str | None:
    """Why `sql` is not one read-only Spark statement, or None if it is.

    Lexical and conservative: the first keyword (after comments, whitespace and opening
    parentheses) must start a read-only statement; nothing may follow a `;`; and a WITH or an
    EXPLAIN may hold no writing keyword (INSERT, CREATE, ...) outside string literals.
    """
    try:
        tokens = _spark_tokens(sql)
    except Refused as refused:
        return str(refused)
    if ";" in tokens:
        rest = tokens[tokens.index(";") + 1 :]
        if any(token != ";" for token in rest):
            return (
                "refused more than one statement: hookhouse query runs exactly one read-only query"
            )
        tokens = tokens[: tokens.index(";")]
    significant = [token for token in tokens if token != "("]
    if not significant:
        return "refused an empty query: give one read-only query (a SELECT)"
    first = significant[0]
    if first not in SPARK_READ_KEYWORDS:
        return str(_refusal(first.upper() if first[:1].isalpha() else f"`{first}`"))
    if first in ("with", "explain"):
        writes = [token for token in significant if token in SPARK_WRITE_KEYWORDS]
        if writes:
            return str(_refusal(f"{first.upper()} ... {writes[0].upper()}"))
    return None


# --- Output ----------------------------------------------------------------------------------


def _iso(value: date | time) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat()


def _decimal_text(value: Decimal) -> str | None:
    return format(value, "f") if value.is_finite() else None


def csv_cell(value: Any) -> str:
    """One value as a CSV field: NULL empty, booleans `true`/`false`, dates ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return _decimal_text(value) or str(value)
    if isinstance(value, date | time):
        return _iso(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, dict | list | tuple):
        return json_text(value)
    return str(value)


def json_text(value: Any) -> str:
    """One value as JSON text; decimals as exact numbers, non-finite numbers as null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(value) if math.isfinite(value) else "null"
    if isinstance(value, Decimal):
        return _decimal_text(value) or "null"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, date | time):
        return json.dumps(_iso(value))
    if isinstance(value, bytes | bytearray | memoryview):
        return json.dumps(bytes(value).hex())
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {json_text(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(json_text(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def write_result(result: Result, output_format: Format, out: TextIO) -> int:
    """Print `result` to `out`; the number of rows."""
    count = 0
    if output_format == "json":
        keys = [json.dumps(name, ensure_ascii=False) for name in result.columns]
        for row in result.rows:
            fields = (f"{key}: {json_text(value)}" for key, value in zip(keys, row, strict=True))
            out.write("{" + ", ".join(fields) + "}\n")
            count += 1
        return count
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([csv_cell(value) for value in row])
        count += 1
    return count


# --- The command -----------------------------------------------------------------------------


def run_query(target: Target, home: DataHome, sql: str) -> Result:
    """Check `sql`, then run it on `target` (`Refused`, `QueryError` otherwise)."""
    if target.engine == "duckdb":
        duckdb_check(sql)
        return duckdb_result(home, sql)
    refusal = spark_refusal(sql)
    if refusal is not None:
        raise Refused(refusal)
    from orchestration.warehouse.spark_connect import spark_result  # pyspark loads only here

    return spark_result(target, home, sql)


def query_command(sql: str, output_format: Format = "csv") -> int:
    """`hookhouse query`: the exit code; every failure is one line on stderr."""
    try:
        target = Target.from_env()
        result = run_query(target, DataHome.from_env(), sql)
        write_result(result, output_format, sys.stdout)
        sys.stdout.flush()
    except Refused as refused:
        print(f"hookhouse query: {refused}", file=sys.stderr)
        return EXIT_REFUSED
    except (QueryError, UnknownTarget) as error:
        print(f"hookhouse query: {error}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `hookhouse query ... | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 0
