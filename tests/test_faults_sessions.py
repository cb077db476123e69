"""An analyst's DuckDB session beside a run (issue 14, concurrency): a read-only or a read-write
connection to `warehouse.duckdb` held while `hookhouse run` builds, and one opened while it
builds. Nothing is corrupted, and the side that cannot go on is told who holds the file and
what to do. Real processes, a real DuckDB file, the real command.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from orchestration.paths import DataHome
from orchestration.warehouse.sessions import open_elsewhere
from tests.test_cli import fingerprint, hookhouse

ANALYST = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
connection.execute("select count(*) from core.hook_events").fetchall()
print("open", flush=True)
sys.stdin.read()  # held until the test closes stdin
"""


@contextmanager
def analyst(warehouse: Path, mode: str) -> Iterator[subprocess.Popen[str]]:
    """A process that holds a DuckDB connection to `warehouse` (`ro` or `rw`) until the end."""
    process = subprocess.Popen(
        [sys.executable, "-c", ANALYST, str(warehouse), mode],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    try:
        assert process.stdout.readline() == "open\n"
        yield process
    finally:
        process.stdin.close()
        process.wait(timeout=60)


def built_tables(digests: dict[str, str]) -> dict[str, str]:
    """The digests of the tables dbt writes (not bronze, nor the views over it)."""
    kept = {name: digest for name, digest in digests.items() if "." in name}
    return {name: digest for name, digest in kept.items() if name.split(".")[0] not in VIEWS}


VIEWS = ("bronze", "staging")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[DataHome, Path]:
    """A data home built from one generated night, and a second night not yet landed."""
    root = tmp_path_factory.mktemp("sessions")
    home = DataHome(root / "home")
    for folder, seed in ((home.landing / "night1", "1"), (root / "night2", "2")):
        made = hookhouse(home, "generate", "--out", str(folder), "--events", "1500",
                         "--days", "2", "--seed", seed)  # fmt: skip
        assert made.returncode == 0, made.stderr
    first = hookhouse(home, "run")
    assert first.returncode == 0, first.stderr
    return home, root / "night2"


def test_the_process_that_has_the_file_open_is_found_with_its_mode(
    built: tuple[DataHome, Path],
) -> None:
    home, _ = built
    assert open_elsewhere(home.warehouse) is None
    for mode in ("ro", "rw"):
        with analyst(home.warehouse, mode) as session:
            found = open_elsewhere(home.warehouse)
            assert found is not None, mode
            assert (found.pid, found.writing) == (session.pid, mode == "rw")
            assert found.command.startswith(sys.executable) and "duckdb" in found.command
        assert open_elsewhere(home.warehouse) is None
    assert open_elsewhere(home.root / "no-such.duckdb") is None


@pytest.mark.slow
def test_a_run_beside_an_analysts_session_names_it_changes_nothing_and_then_catches_up(
    built: tuple[DataHome, Path],
) -> None:
    home, night2 = built
    shutil.copytree(night2, home.landing / "night2")
    before = fingerprint(home)
    for mode in ("ro", "rw"):
        with analyst(home.warehouse, mode) as session:
            blocked = hookhouse(home, "run")
            told = blocked.stdout + blocked.stderr
            assert blocked.returncode != 0, told
            kind = "read-only" if mode == "ro" else "read-write"
            assert f"is open {kind} in another process: pid {session.pid}" in told, told
            assert "Close that connection" in told and "no node failed" not in told, told
        # The ingest went ahead (bronze, and the views over it, have night 2); every table
        # the build writes is as it was.
        assert built_tables(fingerprint(home)) == built_tables(before)
    caught_up = hookhouse(home, "run")
    assert caught_up.returncode == 0, caught_up.stderr
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        pending = connection.execute(
            "select count(*) from core.hook_events where source_file like 'night2/%'"
        ).fetchall()
    assert pending[0][0] > 0


@pytest.mark.stress  # DuckDB's own rule, shown once: a 2-minute full rebuild
def test_an_analyst_who_connects_during_a_build_is_told_who_holds_the_file(
    built: tuple[DataHome, Path],
) -> None:
    home, _ = built
    rebuild = subprocess.Popen(
        [str(Path(sys.executable).with_name("hookhouse")), "run", "--full-refresh"],
        env={**os.environ, "HOOKHOUSE_HOME": str(home.root)},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    while (writer := open_elsewhere(home.warehouse)) is None or not writer.writing:
        assert rebuild.poll() is None, rebuild.communicate()[0]
        assert time.monotonic() < deadline, "dbt never opened the warehouse"
        time.sleep(0.05)
    with pytest.raises(duckdb.IOException, match=rf"Conflicting lock is held .*PID {writer.pid}"):
        duckdb.connect(str(home.warehouse), read_only=True)
    out, _ = rebuild.communicate(timeout=900)
    assert rebuild.returncode == 0, out
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        assert connection.execute("select count(*) from core.hook_events").fetchall()[0][0] > 0
