"""Crash points: named places where the fault tests make the process die, to prove that a
crash there loses nothing and needs no manual step (tests/test_faults_crash.py).

`HOOKHOUSE_CRASH_AT=<point>` kills the process with SIGKILL the first time it reaches
`crash_point("<point>")`; `<point>:<n>` the n-th time (n from 1). SIGKILL cannot be caught
or cleaned up after, like the OOM killer or a container stop. The variable is read once, at
import: unset (always, outside the tests), `crash_point` is one comparison with None.

Every point is listed in POINTS, so the tests can try them all and a misspelt point fails
loudly instead of never firing.
"""

from __future__ import annotations

import os
import signal

CRASH_AT_ENV = "HOOKHOUSE_CRASH_AT"

POINTS = {
    # ingest (orchestration/ingest/bronze.py)
    "bronze.part_temporary": "a Parquet part written to its temporary name, not yet renamed",
    "bronze.part_staged": "a part staged under _staging/, the batch not committed",
    "bronze.before_commit": "every part of the batch staged, its commit record not written",
    "bronze.committed": "the commit record written, the staged parts not yet moved in place",
    "bronze.part_moved": "some of a committed batch's parts moved into place, not all",
    # dbt steps (orchestration/defs/dbt/)
    "dbt.running": "dbt started and has reported some nodes, the step still running",
    "dbt.built": "dbt finished the core step, the watermark not yet recorded",
    "dbt.watermark_recorded": "the watermark recorded, the step's events not yet reported",
    "handoff.written": "the marts' results handed off, the marts step not yet run",
    "marts.built": "the marts built, their pending days not yet cleared",
}


def _armed() -> tuple[str, int] | None:
    value = os.environ.get(CRASH_AT_ENV)
    if not value:
        return None
    point, _, nth = value.partition(":")
    if point not in POINTS:
        raise ValueError(f"{CRASH_AT_ENV}={value}: no such crash point; known: {sorted(POINTS)}")
    return point, int(nth or 1)


_ARMED = _armed()
_passed: dict[str, int] = {}


def crash_point(point: str) -> None:
    """Die here if the tests asked to (see the module docstring); otherwise do nothing."""
    if _ARMED is None:
        return
    if point not in POINTS:
        raise ValueError(f"crash point {point!r} is not in crashpoints.POINTS")
    _passed[point] = _passed.get(point, 0) + 1
    if (point, _passed[point]) == _ARMED:
        os.kill(os.getpid(), signal.SIGKILL)
