"""Event sourcing: nightly incremental runs build exactly what one full rebuild builds."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.defs.dbt.config import dbt_run_config
from orchestration.defs.definitions import execute_run
from orchestration.generate import generate_dumps
from orchestration.paths import DataHome


def run(home: DataHome, *, full_refresh: bool = False) -> None:
    result = execute_run(dg.DagsterInstance.ephemeral(), {"ops": dbt_run_config(full_refresh)})
    assert result.success


def tables(connection: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    rows = connection.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = ? and table_schema in ('core', 'intermediate', 'marts') "
        "and table_type = 'BASE TABLE' order by 1",
        [database],
    ).fetchall()
    return [name for (name,) in rows]


def differences(snapshot: Path, warehouse: Path) -> dict[str, tuple[int, int]]:
    """Per table: (rows only in the incremental build, rows only in the rebuild)."""
    found = {}
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        connection.execute(f"attach '{snapshot}' as nightly (read_only)")
        rebuilt = tables(connection, "warehouse")
        assert tables(connection, "nightly") == rebuilt
        for table in rebuilt:
            only_nightly = connection.execute(
                f"select count(*) from (select * from nightly.{table} "
                f"except all select * from warehouse.{table})"
            ).fetchall()[0][0]
            only_rebuilt = connection.execute(
                f"select count(*) from (select * from warehouse.{table} "
                f"except all select * from nightly.{table})"
            ).fetchall()[0][0]
            if only_nightly or only_rebuilt:
                found[table] = (only_nightly, only_rebuilt)
    return found


@pytest.mark.slow
def test_nightly_runs_equal_a_full_rebuild(home: DataHome, tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    report = generate_dumps(
        dumps, 6_000, seed=11, days=3, duplicate_rate=0.03, late_rate=0.08, malformed_rate=0.002
    )
    assert report.late > 0 and report.duplicates > 0
    nights = sorted(p for p in dumps.iterdir() if p.is_dir())
    assert len(nights) >= 4
    for night in nights:  # each night lands one dump day, late events and all, then runs
        shutil.copytree(night, home.landing / night.name)
        run(home)
    run(home)  # a run with nothing new changes nothing
    snapshot = tmp_path / "nightly.duckdb"
    shutil.copy(home.warehouse, snapshot)

    run(home, full_refresh=True)
    assert differences(snapshot, home.warehouse) == {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        events = connection.execute("select count(*) from core.hook_events").fetchall()[0][0]
        periods = connection.execute("select count(*) from marts.subscription_history").fetchall()[
            0
        ][0]
    assert events > 5_000 and periods > 0
