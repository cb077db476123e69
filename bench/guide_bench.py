"""Analyst-guide benchmark: how long each query of docs/analyst-guide.md takes on a warehouse.

    .venv/bin/python bench/guide_bench.py --warehouse PATH [--runs 3] [--target 1.0]

Opens the warehouse read-only, runs every ```sql block of the guide once to warm DuckDB's
caches, then `--runs` more times, and reports the median wall time of each (fetching every
row, as a client would). Queries slower than `--target` seconds are flagged. The report is
printed and written to bench/out/guide-<time>.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

from orchestration.analyst_guide import GuideQuery, guide_queries  # noqa: E402


def time_query(
    connection: duckdb.DuckDBPyConnection, query: GuideQuery, runs: int
) -> tuple[int, list[float]]:
    """(rows returned, seconds of each timed run); the first, warming run is not timed."""
    rows = len(connection.execute(query.sql).fetchall())
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        connection.execute(query.sql).fetchall()
        times.append(time.perf_counter() - start)
    return rows, times


def describe(warehouse: Path, connection: duckdb.DuckDBPyConnection) -> str:
    """The size of what the queries read: events in core, rows of each mart."""
    (events,) = connection.execute("select count(*) from core.hook_events").fetchone() or (0,)
    marts = connection.execute(
        "select table_name, estimated_size from duckdb_tables() "
        "where schema_name = 'marts' order by table_name"
    ).fetchall()
    sizes = ", ".join(f"{name} {rows:,}" for name, rows in marts)
    return (
        f"Warehouse {warehouse} ({warehouse.stat().st_size / 1e9:.2f} GB): "
        f"core.hook_events {events:,} events; marts rows: {sizes}."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built warehouse.duckdb")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query (default 3)")
    parser.add_argument("--target", type=float, default=1.0, help="seconds a query should take")
    args = parser.parse_args()
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}")

    lines = [
        f"# Analyst-guide queries, median of {args.runs} warm runs",
        "",
        "| query | question | rows | median s | min s | max s | |",
        "|---|---|---|---|---|---|---|",
    ]
    slow = 0
    with duckdb.connect(str(args.warehouse), read_only=True) as connection:
        header = describe(args.warehouse, connection)
        for query in guide_queries():
            rows, times = time_query(connection, query, args.runs)
            median = statistics.median(times)
            slow += median >= args.target
            flag = f"over {args.target:g} s" if median >= args.target else ""
            question = query.title.removeprefix(query.number).strip()
            lines.append(
                f"| {query.number} | {question} | {rows:,} | {median:.3f} | {min(times):.3f} "
                f"| {max(times):.3f} | {flag} |"
            )
            print(lines[-1], flush=True)
    lines[1:1] = ["", header]
    lines += ["", f"{slow} of {len(guide_queries())} queries at or over {args.target:g} s."]
    text = "\n".join(lines)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"guide-{time.strftime('%Y%m%dT%H%M%S')}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
