"""Crash safety: `hookhouse run` killed with SIGKILL at a crash point (orchestration/crashpoints.py)
loses nothing and needs no manual step.

One trial: a fresh data home; the night's landing files; `hookhouse run` with
HOOKHOUSE_CRASH_AT=<point>:<n>, which must die of SIGKILL; no process it started may live on;
a plain `hookhouse run` must exit 0; then the warehouse must equal an uninterrupted run's,
table for table (tests/warehouse_checksums.py), bronze must hold no staged or temporary file
and no batch twice, and the build state must be caught up. A crash in night 1 (the first
run) is followed by night 2, compared again; a crash in night 2 (an incremental run) starts
from a copy of the reference home after night 1 (what running night 1 normally builds).

The suite runs three trials (ingest, core, hand-off); `make stress` runs every
point at several passes, in both nights, and a few second crashes during the recovery run.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

import psutil
import pytest

from orchestration.crashpoints import CRASH_AT_ENV, POINTS
from orchestration.generate import generate_dumps
from orchestration.ingest.bronze import read_manifest
from tests.warehouse_checksums import differences, home_problems, table_count

if TYPE_CHECKING:
    from _pytest.capture import CaptureManager

HOOKHOUSE = str(Path(sys.executable).with_name("hookhouse"))
RUN_TIMEOUT = 1200
SURVIVOR_GRACE = 5.0
"""Seconds a process the killed run started may take to end after it."""
NIGHT_1_DUMP_DAYS = 6
"""Of the generated dump folders (10 days, then one of late events): night 1 lands the first
6, night 2 the other 5. Each night's batch then stages 7 parts (6 event days and the rejects),
enough for the bronze points' passes below."""
MOST_PARTS = 7


@dataclass(frozen=True)
class Trial:
    """Kill the run of `night` at the `nth` pass of `point`; `again`: kill the first recovery
    run too, at that `point[:n]`, before the plain run that must recover."""

    point: str
    nth: int = 1
    night: int = 1
    again: str | None = None

    @property
    def crash_at(self) -> str:
        return f"{self.point}:{self.nth}"

    @property
    def name(self) -> str:
        tail = f"+{self.again}" if self.again else ""
        return f"{self.crash_at}-night{self.night}{tail}"


SUITE = [
    Trial("bronze.part_staged", 3, night=2),  # ingest, before the commit record
    Trial("handoff.written", 1, night=2),  # hand-off written, the marts step not run
]
"""Two trials in the suite (about a minute and a half each; a kill with dbt half way is in the
suite's tests/test_faults_processes.py); `make stress` runs them all."""

PASSES = {
    # Night 1 writes 11 Parquet files through a temporary name (3 empty table parts, 7 staged
    # parts, the commit record), night 2 writes 8; each night stages and moves 7 parts.
    "bronze.part_temporary": (1, 2, 4, 7, 8),
    "bronze.part_staged": (1, 2, 3, 5, 7),
    "bronze.before_commit": (1,),
    "bronze.committed": (1,),
    "bronze.part_moved": (1, 2, 4, 7),
    # One dbt invocation of 217 nodes (seed, models, tests) builds core and marts.
    "dbt.running": (1, 5, 20, 60, 120),
    "dbt.built": (1,),
    "dbt.watermark_recorded": (1,),
    "handoff.written": (1,),
    "marts.built": (1,),
}
"""The passes of each point the stress trials kill at."""

STRESS = [
    *(Trial(point, n, night) for night in (1, 2) for point, ns in PASSES.items() for n in ns),
    Trial("bronze.committed", 1, 2, again="bronze.part_moved:1"),  # the roll-forward dies too
    Trial("bronze.part_staged", 3, 1, again="bronze.part_staged:1"),  # so does the re-ingest
    Trial("dbt.running", 20, 2, again="dbt.running:20"),
    Trial("dbt.built", 1, 2, again="dbt.built:1"),
    Trial("handoff.written", 1, 2, again="marts.built:1"),
]


@dataclass
class Outcome:
    """What one trial did, for its figures line and the summary."""

    trial: Trial
    killed: bool = False
    survivors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    tables: int = 0

    @property
    def exact(self) -> bool:
        return self.killed and not self.problems

    def line(self) -> str:
        runs = ", ".join(f"{what} {seconds:.1f} s" for what, seconds in self.seconds.items())
        verdict = "recovered exactly" if self.exact else f"{len(self.problems)} problems"
        return (
            f"crash {self.trial.name}: {'killed' if self.killed else 'NOT killed'}; {runs}; "
            f"{len(self.survivors)} survivors; {self.tables} tables compared; {verdict}"
        )


@dataclass(frozen=True)
class Reference:
    """The landing files of each night, and the data homes uninterrupted runs built."""

    nights: tuple[list[Path], list[Path]]
    homes: tuple[Path, Path]
    """After night 1 (one run), after night 2 (a second run): each read only, never run in."""


def say(config: pytest.Config, line: str) -> None:
    """Print past pytest's capture (the figures lines are the stress run's report)."""
    capture = cast("CaptureManager | None", config.pluginmanager.getplugin("capturemanager"))
    if capture is None:
        print(line, flush=True)
        return
    with capture.global_and_fixture_disabled():
        print(line, flush=True)


def hookhouse_run(home: Path, crash_at: str | None = None) -> tuple[int, float, str]:
    """`hookhouse run` on this data home: (exit status, seconds, the end of its output)."""
    env = {**os.environ, "HOOKHOUSE_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    env.pop(CRASH_AT_ENV, None)
    if crash_at is not None:
        env[CRASH_AT_ENV] = crash_at
    began = time.perf_counter()
    done = subprocess.run(
        [HOOKHOUSE, "run"], env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT
    )
    tail = (done.stdout + done.stderr)[-3000:]
    return done.returncode, time.perf_counter() - began, tail


def land(reference: Reference, home: Path, night: int) -> None:
    """Drop one night's dump folders into the data home's landing folder."""
    for folder in reference.nights[night - 1]:
        shutil.copytree(folder, home / "landing" / folder.name)


def survivors(home: Path) -> list[psutil.Process]:
    """Processes of this data home still running: HOOKHOUSE_HOME is it, or an argument is in it."""
    mark = str(home)
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            arguments = process.cmdline()
            mine = any(a == mark or a.startswith(mark + os.sep) for a in arguments)
            if mine or process.environ().get("HOOKHOUSE_HOME") == mark:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def end_survivors(home: Path) -> list[str]:
    """The processes of this data home that outlive a killed run by SURVIVOR_GRACE seconds,
    described; they are then killed (by pid), so that they cannot change the next runs."""
    deadline = time.monotonic() + SURVIVOR_GRACE
    while (left := survivors(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    described = []
    for process in left:
        try:
            described.append(f"pid {process.pid}: {' '.join(process.cmdline())[:200]}")
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(left, timeout=10)
    return described


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The fixed landing set, and what uninterrupted runs build from it: night 1, then 2."""
    base = tmp_path_factory.mktemp("crash-reference")
    generate_dumps(base / "dumps", 2_000, seed=7, days=10, malformed_rate=0.004)
    folders = sorted(path for path in (base / "dumps").iterdir() if path.is_dir())
    nights = (folders[:NIGHT_1_DUMP_DAYS], folders[NIGHT_1_DUMP_DAYS:])
    built = Reference(nights, (base / "after-night-1", base / "after-night-2"))
    for night, home in enumerate(built.homes, start=1):
        if night == 1:
            (home / "landing").mkdir(parents=True)
        else:
            shutil.copytree(built.homes[0], home)
        land(built, home, night)
        status, _, output = hookhouse_run(home)
        assert status == 0, f"the reference run of night {night} failed:\n{output}"
        assert home_problems(home) == [], "the checks fail on an uninterrupted run"
        batches = read_manifest(home / "bronze")["batch_id"].to_list()
        staged = [len(list((home / "bronze").rglob(f"part-{b}-*.parquet"))) for b in batches]
        assert min(staged) >= MOST_PARTS, f"each batch must stage {MOST_PARTS} parts: {staged}"
    return built


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest) -> Iterator[list[Outcome]]:
    """Every trial's outcome; their summary is printed after the module's last trial."""
    done: list[Outcome] = []
    yield done
    if done:
        not_killed = [o.trial.name for o in done if not o.killed]
        say(
            request.config,
            f"crash trials: {len(done)}; killed as asked {sum(o.killed for o in done)}; "
            f"recovered exactly {sum(o.exact for o in done)}; with survivors "
            f"{sum(bool(o.survivors) for o in done)}; not killed: {not_killed or 'none'}",
        )


def crash(home: Path, crash_at: str, outcome: Outcome, what: str) -> bool:
    """One run killed at `crash_at`; whether it died of SIGKILL (else a problem is noted)."""
    status, seconds, output = hookhouse_run(home, crash_at)
    outcome.seconds[what] = seconds
    if status != -signal.SIGKILL:
        outcome.problems.append(
            f"the run was not killed at {crash_at}: it exited {status}\n{output}"
        )
        return False
    outcome.survivors += end_survivors(home)
    return True


def recover(home: Path, outcome: Outcome, what: str, expected: Path) -> None:
    """A plain run must exit 0 and leave a home equal to `expected`, table for table."""
    status, seconds, output = hookhouse_run(home)
    outcome.seconds[what] = seconds
    if status != 0:
        outcome.problems.append(f"{what}: plain `hookhouse run` exited {status}:\n{output}")
        return
    outcome.problems += [f"{what}: {p}" for p in home_problems(home)]
    found = differences(home / "warehouse.duckdb", expected / "warehouse.duckdb")
    outcome.problems += [f"{what}: {difference}" for difference in found]
    outcome.tables = table_count(home / "warehouse.duckdb")


def run_trial(trial: Trial, reference: Reference, home: Path) -> Outcome:
    """The trial, as the module docstring says; everything it found is in the outcome."""
    outcome = Outcome(trial)
    if trial.night == 1:
        (home / "landing").mkdir(parents=True)
    else:
        shutil.copytree(reference.homes[0], home)
    land(reference, home, trial.night)
    outcome.killed = crash(home, trial.crash_at, outcome, "killed run")
    if not outcome.killed:
        return outcome
    if trial.again is not None and not crash(home, trial.again, outcome, "killed again"):
        outcome.killed = False
        return outcome
    recover(home, outcome, "recovery", reference.homes[trial.night - 1])
    if trial.night == 1 and not outcome.problems:
        land(reference, home, 2)
        recover(home, outcome, "night 2", reference.homes[1])
    outcome.survivors += [f"after the trial: {s}" for s in end_survivors(home)]
    return outcome


def check(
    trial: Trial,
    reference: Reference,
    outcomes: list[Outcome],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    """Run one trial, print its figures line, fail with everything it found."""
    home = tmp_path / "home"
    outcome = run_trial(trial, reference, home)
    outcomes.append(outcome)
    say(request.config, outcome.line())
    problems = list(outcome.problems)
    if outcome.survivors:
        problems.append(
            f"processes of the killed run still ran {SURVIVOR_GRACE:.0f} s after it: "
            + "; ".join(outcome.survivors)
        )
    assert not problems, "\n".join(problems)
    shutil.rmtree(home, ignore_errors=True)  # kept when the trial fails, to look into


def test_every_crash_point_has_stress_trials() -> None:
    assert set(PASSES) == set(POINTS)
    assert {t.point for t in SUITE} | {t.point for t in STRESS} <= set(POINTS)
    assert len({t.name for t in STRESS}) == len(STRESS) >= 50


@pytest.mark.slow
@pytest.mark.parametrize("trial", SUITE, ids=lambda t: t.name)
def test_a_killed_run_recovers_exactly(trial, reference, outcomes, request, tmp_path) -> None:
    check(trial, reference, outcomes, request, tmp_path)


@pytest.mark.stress
@pytest.mark.parametrize("trial", STRESS, ids=lambda t: t.name)
def test_a_run_killed_anywhere_recovers_exactly(
    trial, reference, outcomes, request, tmp_path
) -> None:
    check(trial, reference, outcomes, request, tmp_path)
