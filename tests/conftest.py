"""Shared fixtures: a fresh data home per test, a generated warehouse per session, and readers
of what ingest wrote."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from orchestration import bronze_layout
from orchestration.paths import REPO_ROOT, DataHome

SELFTESTS_ENV = "HOOKHOUSE_DBT_SELFTESTS"
SELFTESTS_TARGET = REPO_ROOT / "target" / "selftests"


def pytest_configure(config: pytest.Config) -> None:
    """The dbt canaries of tests/dbt/selftests/ exist only in the test suite: enable them, and
    keep the manifest that has them in a target folder of its own (runs use `target/`); one
    per pytest-xdist worker, since two dbt processes must not write one target folder."""
    os.environ[SELFTESTS_ENV] = "1"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    target = SELFTESTS_TARGET.with_name(f"selftests-{worker}") if worker else SELFTESTS_TARGET
    os.environ["DBT_TARGET_PATH"] = str(target)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataHome:
    data_home = DataHome(tmp_path / "home")
    data_home.landing.mkdir(parents=True)
    monkeypatch.setenv("HOOKHOUSE_HOME", str(data_home.root))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    return data_home


@pytest.fixture(params=["grouped", "alone"])
def small_files_grouped_or_alone(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Each test twice: small files read in groups by the workers (as they are), and each file
    read alone by the ingest's own process, block by block (as a file above
    `file_group.SMALL_FILE_BYTES` is)."""
    from orchestration.ingest import pipeline

    if request.param == "alone":
        monkeypatch.setattr(pipeline, "SMALL_FILE_BYTES", -1)
    return str(request.param)


def write_landing(home: DataHome, name: str, text: str, *, gz: bool = False) -> Path:
    """Drop a landing file, exactly these bytes (gzipped when asked)."""
    path = home.landing / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def bronze_table(home: DataHome, table: str) -> pl.DataFrame:
    """Every committed row of a bronze table, with `event_day` from the partition path."""
    layout = bronze_layout.bronze_table(table)
    files = layout.files(home.bronze)
    if not files:
        return pl.DataFrame()
    return pl.read_parquet(files, hive_partitioning=layout.partitioned_by is not None)


@pytest.fixture(scope="session")
def generated_home(tmp_path_factory: pytest.TempPathFactory) -> DataHome:
    """A data home built once per session, as a user builds it: `hookhouse generate`, `run`.

    30,000 events over 14 days: enough that every campaign, link, uplift and subscription
    question of docs/analyst-guide.md has rows. Read it, do not write it (tests share it).
    """
    data_home = DataHome(tmp_path_factory.mktemp("generated") / "home")
    hookhouse = str(Path(sys.executable).with_name("hookhouse"))
    env = {**os.environ, "HOOKHOUSE_HOME": str(data_home.root)}
    env.pop("DAGSTER_HOME", None)
    steps = [
        ["generate", "--out", str(data_home.landing / "generated"), "--events", "30000",
         "--seed", "3", "--days", "14"],
        ["run"],
    ]  # fmt: skip
    for step in steps:
        done = subprocess.run(
            [hookhouse, *step], env=env, capture_output=True, text=True, check=False, timeout=900
        )
        assert done.returncode == 0, f"hookhouse {step[0]} failed:\n{done.stdout}\n{done.stderr}"
    return data_home
