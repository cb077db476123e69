"""Running hookhouse on both engines in one data home, for the Spark tests."""

from __future__ import annotations

import subprocess

from orchestration.defs.dbt.project import DBT_EXECUTABLE
from orchestration.paths import REPO_ROOT, DataHome
from tests.environment import environment

SPARK_ENV = {
    "SPARK_LOCAL_IP": "127.0.0.1",
    "HOOKHOUSE_SPARK_MASTER": "local[2]",
    "HOOKHOUSE_SPARK_DRIVER_MEMORY": "2g",
}
"""The session target as the tests run it: loopback only, the machine's two cores."""


def run_on(target: str) -> None:
    """`hookhouse run` (the run job in-process, as tests/test_incremental.py runs it) with dbt
    on `target`."""
    from tests.test_incremental import run

    with environment(HOOKHOUSE_TARGET=target, **SPARK_ENV):
        run(DataHome.from_env())


def backfill_on(target: str, first_day: str, last_day: str, **env: str) -> None:
    """A backfill of those event days (what the UI launches), with dbt on `target`."""
    from tests.test_backfill import backfill

    with environment(HOOKHOUSE_TARGET=target, **SPARK_ENV, **env):
        result = backfill(first_day, last_day)
    assert result.success, f"the backfill on {target} failed"


def unit_tests_on(target: str) -> str:
    """dbt's unit tests (`dbt test --select test_type:unit`) on `target`; dbt's summary line."""
    with environment(HOOKHOUSE_TARGET=target, **SPARK_ENV):
        done = subprocess.run(
            [
                DBT_EXECUTABLE,
                "test",
                "--select",
                "test_type:unit",
                "--profiles-dir",
                str(REPO_ROOT),
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
    assert done.returncode == 0, f"dbt's unit tests failed on {target}:\n{done.stdout[-4000:]}"
    summaries = [line for line in done.stdout.splitlines() if "Done. PASS=" in line]
    assert summaries, f"no dbt summary:\n{done.stdout[-4000:]}"
    return summaries[-1]
