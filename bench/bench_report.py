"""docs/benchmarks.md: the machine, then one table per measurement, then the other reports."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import psutil

VERSIONS = (
    "duckdb",
    "polars",
    "pandas",
    "dlt",
    "dbt-core",
    "dbt-duckdb",
    "dbt-spark",
    "pyspark",
    "dagster",
    "orjson",
)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)

    def add(self, row: list[str]) -> None:
        self.rows.append(row)

    def markdown(self) -> str:
        lines = [
            f"## {self.title}",
            "",
            "| " + " | ".join(self.header) + " |",
            "|" + "---|" * len(self.header),
        ]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def growth(before: float | None, after: float) -> str:
    """How a cost grew from the previous size: `x 8.7`."""
    return f"x {after / before:.1f}" if before else ""


def machine_facts() -> dict[str, str]:
    versions = []
    for name in VERSIONS:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cores": f"{os.cpu_count()} ({cpu})" if cpu else str(os.cpu_count()),
        "memory": f"{psutil.virtual_memory().total / 2**30:.1f} GiB",
        "versions": ", ".join(versions),
        "commit": commit or "unknown",
    }


def write_report(path: Path, facts: dict[str, str], tables: list[Table], texts: list[str]) -> str:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run_bench.py`); rerun it to "
        "check any figure. Medians of every run listed; ratios are taken round by round "
        "where engines ran in turn.",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in facts.items()]
    for table in tables:
        lines += ["", table.markdown()]
    for text in texts:
        lines += ["", text]
    body = "\n".join(lines) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    return body
