"""The `hookhouse` command as a user runs it: generate, run, run again, fail clearly."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.paths import DataHome

HOOKHOUSE = str(Path(sys.executable).with_name("hookhouse"))


def hookhouse(home: DataHome, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [HOOKHOUSE, *args], env=env, capture_output=True, text=True, check=False, timeout=600
    )


def fingerprint(home: DataHome) -> dict[str, str]:
    """A digest of every row of every warehouse table, and the bronze file list."""
    digests = {}
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        names = connection.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema not in ('information_schema', 'pg_catalog') order by 1"
        ).fetchall()
        for (name,) in names:
            rows = connection.execute(f"select * from {name} order by all").fetchall()
            digests[name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    files = sorted(str(p.relative_to(home.bronze)) for p in home.bronze.rglob("*.parquet"))
    digests["bronze files"] = hashlib.sha256(repr(files).encode()).hexdigest()
    return digests


EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\+[0-9]{10,15}"  # E.164, as the platform writes phone numbers


def assert_no_personal_data_in_marts(home: DataHome) -> None:
    """No email address and no phone number in any text value of any mart."""
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        columns = connection.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        assert columns, "the marts have text columns to scan"
        for table, column in columns:
            found = connection.execute(
                f"select count(*) from marts.{table} where regexp_matches({column}::varchar, ?)"
                f" or regexp_matches({column}::varchar, ?)",
                [EMAIL, PHONE],
            ).fetchall()[0][0]
            assert found == 0, f"marts.{table}.{column} holds personal data"


@pytest.mark.slow
def test_generate_run_and_run_again(home: DataHome) -> None:
    generated = hookhouse(
        home, "generate", "--out", str(home.landing / "sample"), "--events", "3000", "--seed", "1",
        "--days", "3",
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    (home.landing / "notes.txt").write_text("not a dump")

    first = hookhouse(home, "run")
    assert first.returncode == 0, first.stderr
    assert "succeeded" in first.stdout
    assert "core.hook_events:" in first.stdout
    assert "ignored (not a landing format): notes.txt" in first.stdout
    before = fingerprint(home)
    assert_no_personal_data_in_marts(home)

    again = hookhouse(home, "run")
    assert again.returncode == 0, again.stderr
    assert "0 new files" in again.stdout
    after = fingerprint(home)
    changed = {
        name for name in before
        if before[name] != after.get(name) and not name.startswith("hookhouse.")
    }  # fmt: skip
    assert changed == set()


@pytest.mark.slow
def test_a_failing_dbt_test_fails_the_run_and_names_test_and_model(home: DataHome) -> None:
    (home.landing / "a.ndjson").write_text(
        '{"event_type":"send","event_date":"2026-10-01T10:00:00Z","account_id":1,'
        '"event_data":{"campaign_id":5}}\n'
    )
    failed = hookhouse(home, "run", "--dbt-vars", '{"hookhouse_selftest_failure": true}')
    assert failed.returncode == 1
    assert "hookhouse run" in failed.stderr and "failed" in failed.stderr
    assert "test selftest_a_failing_test_fails_the_run on core.hook_events failed" in failed.stderr
    assert "Full log:" in failed.stderr
    # Fixing the cause (here: dropping the failing test) and running again succeeds.
    fixed = hookhouse(home, "run")
    assert fixed.returncode == 0, fixed.stderr


def start_hookhouse(home: DataHome, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.Popen(
        [HOOKHOUSE, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.slow
def test_a_second_run_waits_or_exits_while_one_writes(home: DataHome) -> None:
    from orchestration.warehouse.lock import holder

    generated = hookhouse(
        home, "generate", "--out", str(home.landing / "g"), "--events", "2000", "--days", "2"
    )
    assert generated.returncode == 0, generated.stderr
    first = start_hookhouse(home, "run")
    deadline = time.monotonic() + 120
    while "pid" not in holder(home):  # the first run holds the warehouse
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.2)

    busy = hookhouse(home, "run", "--no-wait")
    assert busy.returncode == 75
    assert "another process is writing the warehouse" in busy.stderr
    assert f"pid {first.pid}" in busy.stderr
    second = start_hookhouse(home, "run")  # waits, then runs

    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, err
    out, err = second.communicate(timeout=600)
    assert second.returncode == 0, err
    assert "waiting for it to finish" in err
    assert "0 new files" in out
    # Intact: the waiting run found the first run's work complete and changed nothing.
    assert "core.hook_events:" in out and "marts.campaign_performance:" in out
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        builds = connection.execute("select count(*) from hookhouse.build_state").fetchall()
    assert builds == [(2,)]
