"""Shared fixtures: a fresh data home per test, and readers of what ingest wrote."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest

from orchestration.paths import DataHome


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataHome:
    data_home = DataHome(tmp_path / "home")
    data_home.landing.mkdir(parents=True)
    monkeypatch.setenv("HOOKHOUSE_HOME", str(data_home.root))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return data_home


def write_landing(home: DataHome, name: str, text: str, *, gz: bool = False) -> Path:
    """Drop a landing file, exactly these bytes (gzipped when asked)."""
    path = home.landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def bronze_table(home: DataHome, table: str) -> pl.DataFrame:
    """Every committed row of a bronze table, with `event_day` from the partition path."""
    files = sorted((home.bronze / table).rglob("*.parquet"))
    if not files:
        return pl.DataFrame()
    return pl.read_parquet(files, hive_partitioning=table == "hook_events")
