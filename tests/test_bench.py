"""`make bench` end to end at a tiny size: every peer runs, every table is written, the targets
table says something of each target. No time is asserted: the machine running the suite is
not a benchmark machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration.paths import REPO_ROOT


def table(report: str, title: str) -> list[list[str]]:
    """The rows of a report's table, by its title."""
    section = report.split(f"## {title}\n\n", 1)[1].split("\n\n", 1)[0]
    lines = section.splitlines()  # the header, its rule, then the rows
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_the_bench_runs_every_measurement_and_writes_its_report(tmp_path: Path) -> None:
    report_path = tmp_path / "benchmarks.md"
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    command = [
        sys.executable,
        "run_bench.py",
        "--sizes",
        "1500",
        "--rounds",
        "1",
        "--skip",
        "dbt,spark",
        "--receiver-seconds",
        "1",
        "--report",
        str(report_path),
    ]
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT / "bench",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    report = report_path.read_text()
    assert "- cores: " in report and "duckdb " in report and "dlt " in report
    for layout in ("Ingest, plain NDJSON", "Ingest, the mixed layout"):
        rows = {row[1]: row for row in table(report, layout)}
        assert set(rows) == {"hookhouse", "duckdb", "duckdb_full", "dlt", "pandas"}
        # The same generated records, every one loaded by hookhouse and by DuckDB.
        assert rows["hookhouse"][8] == rows["duckdb_full"][8] != "0"
        assert all(row[2] != "failed" for name, row in rows.items() if name != "dlt")
    formats = table(report, "Ingest by landing format (hookhouse)")
    assert len(formats) == 4 and all(row[4] != "failed" for row in formats)
    assert (
        len(table(report, "Landing to marts (`hookhouse run`, mixed layout, fresh data home)")) == 1
    )
    assert "queries at or over 1 s" in report
    assert '"lost_batches": 0' in report
    targets = {row[0]: row[2] for row in table(report, "Targets")}
    assert len(targets) == 10
    assert targets["Spark nightly ≤ 15% of its full build"] == "not measured"  # skipped
    assert all(verdict in ("yes", "no", "not measured") for verdict in targets.values())
