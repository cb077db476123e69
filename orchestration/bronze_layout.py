"""The bronze layout: which folder holds each bronze table and which glob finds its parts.

It is written once, as the dbt variable `bronze_tables` in `dbt_project.yml`, because the
dbt macros that read bronze (`macros/bronze.sql`) can only take it from there; Python
reads the same entry here. Ingest writes by it, dbt reads by it, and every Python reader
(build state, checks, tests, benchmarks) globs by it.

    hook_events/event_day=YYYY-MM-DD/part-<batch>-<n>.parquet
    hook_rejects/part-<batch>-<n>.parquet
    ingested_files/part-<batch>.parquet      <- a batch's commit record
    erasures/part-<erasure>.parquet          <- what a `hookhouse forget` erased
    _staging/<batch>/...                     <- parts of a batch not yet committed
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.paths import REPO_ROOT

EVENTS, REJECTS, MANIFEST = "hook_events", "hook_rejects", "ingested_files"
"""The contract's bronze tables."""

ERASURES = "erasures"
"""The audit of `hookhouse forget` (orchestration/privacy/erasures.py)."""

STAGING = "_staging"
"""Where a batch stages its parts before it commits (never read as a table)."""


@dataclass(frozen=True)
class BronzeTable:
    """One bronze table's place on disk."""

    name: str
    folder: str
    parts: str
    partitioned_by: str | None = None

    def root(self, bronze: Path) -> Path:
        return bronze / self.folder

    def glob(self, bronze: Path) -> str:
        """The pattern that reads every part, for DuckDB's or Polars' `read_parquet`."""
        return f"{self.root(bronze)}/{self.parts}"

    def files(self, bronze: Path) -> list[Path]:
        """The committed parts, sorted."""
        return sorted(self.root(bronze).glob(self.parts))

    def partition_folder(self, bronze: Path, value: object) -> Path:
        """The folder of one partition (`event_day=2026-10-01`) of a partitioned table."""
        if self.partitioned_by is None:
            raise ValueError(f"bronze table {self.name} is not partitioned")
        return self.root(bronze) / f"{self.partitioned_by}={value}"


@cache
def bronze_tables() -> dict[str, BronzeTable]:
    """Every bronze table by name, from `vars.bronze_tables` of `dbt_project.yml`."""
    import yaml  # here, not at the top: the ingest's parse workers import this module

    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    return {
        name: BronzeTable(
            name=name,
            folder=entry["folder"],
            parts=entry["parts"],
            partitioned_by=entry.get("partitioned_by"),
        )
        for name, entry in project["vars"]["bronze_tables"].items()
    }


def bronze_table(name: str) -> BronzeTable:
    return bronze_tables()[name]
