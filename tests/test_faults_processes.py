"""A killed `hookhouse run` leaves nothing behind: real runs, real SIGKILLs, no mocks.

A run is started as a shell starts it (its own session and process group) and killed with
SIGKILL at a point found by watching it: its parse workers running (mid-ingest), dbt building
`core.hook_events` (the first dbt step), dbt building the marts, the marts step reading the
hand-off; either the run's process alone (the OOM killer, `kill -9 PID`) or its whole process
group (a terminal's or a container's stop). Then, within a few seconds, none of its
processes may run (followed with psutil from their start, and found by their HOOKHOUSE_HOME
too), the warehouse lock is free, and the next `hookhouse run` succeeds; the warehouse it
leaves equals, table by table, that of an uninterrupted run on the same landing files.

The quick version kills one data home three times in a row, then lets the fourth run
finish; `make stress` (`-m stress`) kills fresh homes at many points and prints the figures.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from orchestration.paths import REPO_ROOT, DataHome
from orchestration.warehouse.lock import lock_path
from tests.warehouse_checksums import differences, table_count

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="children end with their parent on Linux only"
)

HOOKHOUSE = str(Path(sys.executable).with_name("hookhouse"))
LEFTOVER_SECONDS = 10.0
"""How long a killed run's processes may take to end (Dagster's log tail: up to 1 s)."""
PHASES: dict[str, str] = {
    "core": "START sql incremental model core.hook_events",
    "marts": "START sql table model marts.campaign_performance",
}
"""dbt log lines that mark a kill point."""


@dataclass(frozen=True)
class KillPoint:
    phase: str  # ingest | core | marts | marts_step
    mode: str  # parent | group
    delay: float = 0.0


def run_env(home: DataHome) -> dict[str, str]:
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root)}
    env.pop("DAGSTER_HOME", None)
    return env


class Run:
    """`hookhouse run` in a session of its own, its processes followed from their start."""

    def __init__(self, home: DataHome, *args: str) -> None:
        self.home = home
        self.started = time.monotonic()
        self.log = home.root.parent / f"run-{time.time_ns()}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [HOOKHOUSE, "run", *args], env=run_env(home), stdout=log, stderr=log,
                start_new_session=True,
            )  # fmt: skip
        self.seen: dict[int, psutil.Process] = {}

    def follow(self) -> None:
        try:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self.seen.setdefault(child.pid, child)
        except psutil.Error:
            pass

    def cmdlines(self) -> list[str]:
        lines = []
        for child in self.seen.values():
            with contextlib.suppress(psutil.Error):
                lines.append(" ".join(child.cmdline()))
        return lines

    def dbt_log(self) -> str:
        for child in self.seen.values():
            try:
                log_path = child.environ().get("DBT_LOG_PATH")
            except psutil.Error:
                continue
            if log_path and (path := REPO_ROOT / log_path / "dbt.log").exists():
                return path.read_text(errors="replace")
        return ""

    def reached(self, phase: str) -> bool:
        if phase == "ingest":
            return any("multiprocessing.spawn" in line for line in self.cmdlines())
        if phase == "marts_step":
            return (self.home.root / ".dbt_marts_handoff.json").exists()
        return PHASES[phase] in self.dbt_log()

    def wait_for(self, phase: str, timeout: float = 900) -> None:
        deadline = time.monotonic() + timeout
        while not self.reached(phase):
            assert self.process.poll() is None, f"ended before {phase}:\n{self.log.read_text()}"
            assert time.monotonic() < deadline, f"no {phase} in {timeout} s"
            self.follow()
            time.sleep(0.05)

    def kill(self, mode: str) -> float:
        """SIGKILL the run's process (or its group); the seconds since it started."""
        self.follow()
        at = time.monotonic() - self.started
        if mode == "group":
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return at

    def leftovers(self) -> list[str]:
        """The run's processes still running: followed ones, and any with its data home."""
        alive = {pid: p for pid, p in self.seen.items() if _running(p)}
        for process in psutil.process_iter():
            try:
                if process.environ().get("HOOKHOUSE_HOME") == str(self.home.root):
                    alive.setdefault(process.pid, process)
            except psutil.Error:
                continue
        return [_describe(p) for p in alive.values() if _running(p)]


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _describe(process: psutil.Process) -> str:
    try:
        return f"pid {process.pid} (parent {process.ppid()}): {' '.join(process.cmdline())[:150]}"
    except psutil.Error:
        return f"pid {process.pid}"


def wait_until(check: Callable[[], list[str]], timeout: float) -> tuple[list[str], float]:
    """Poll until `check` finds nothing; what it found last, and the seconds it took."""
    started = time.monotonic()
    while (found := check()) and time.monotonic() - started < timeout:
        time.sleep(0.1)
    return found, time.monotonic() - started


def lock_is_free(home: DataHome) -> bool:
    descriptor = os.open(lock_path(home), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def lock_users(home: DataHome) -> list[str]:
    """Who has the lock file open (any process, by its descriptors), and what the file says."""
    lock = lock_path(home)
    users = [f"lock file: {lock.read_text()!r}"]
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if any(Path(f.path) == lock for f in process.open_files()):
                users.append(_describe(process) + f" status {process.status()}")
    inode = f":{lock.stat().st_ino} "
    users += [line for line in Path("/proc/locks").read_text().splitlines() if inode in line]
    return users


def finish(run: Run) -> str:
    """Wait for a run; its output, after checking that it succeeded."""
    assert run.process.wait(timeout=1800) == 0, run.log.read_text()
    output = run.log.read_text()
    assert "succeeded" in output and "Could not set lock" not in output, output
    return output


def new_home(root: Path, landing: Path) -> DataHome:
    home = DataHome(root / "home")
    shutil.copytree(landing, home.landing)
    return home


@dataclass
class Reference:
    """An uninterrupted run on the landing files, started beside the killed ones."""

    run: Run

    def warehouse(self) -> Path:
        """Its warehouse, once the run has finished."""
        finish(self.run)
        assert table_count(self.run.home.warehouse) > 25  # the 20 family facts, the marts...
        return self.run.home.warehouse


def landing_files(folder: Path, *, events: int, days: int, copies: int) -> Path:
    """Generated dumps; `copies` more of them under other names (ingested once, by content:
    they only make up the 48 MB of new-looking input that starts the parse workers)."""
    generated = subprocess.run(
        [HOOKHOUSE, "generate", "--out", str(folder / "g"), "--events", str(events),
         "--days", str(days), "--seed", "5"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert generated.returncode == 0, generated.stderr
    for copy in range(copies):
        shutil.copytree(folder / "g", folder / f"copy{copy:02}")
    return folder


def prepare_manifest() -> None:
    """Parse the dbt project once here, so that runs started side by side do not both."""
    from orchestration.defs.dbt.project import prepared_manifest

    prepared_manifest()


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return landing_files(tmp_path_factory.mktemp("landing"), events=6000, days=3, copies=20)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, landing: Path) -> Iterator[Reference]:
    prepare_manifest()
    run = Run(new_home(tmp_path_factory.mktemp("reference"), landing))
    yield Reference(run)
    if run.process.poll() is None:
        run.process.kill()


def kill_and_check(home: DataHome, point: KillPoint) -> dict[str, float]:
    """Start a run, kill it at `point`, check that nothing is left; the figures."""
    run = Run(home)
    run.wait_for(point.phase)
    time.sleep(point.delay)
    at = run.kill(point.mode)
    left, seconds = wait_until(run.leftovers, LEFTOVER_SECONDS)
    assert left == [], f"{point}: still running {seconds:.1f} s after the kill:\n" + "\n".join(left)
    held, _ = wait_until(lambda: [] if lock_is_free(home) else lock_users(home), 2.0)
    assert held == [], f"{point}: the warehouse lock is still held:\n" + "\n".join(held)
    return {"killed_at": at, "processes": len(run.seen), "gone_after": seconds}


def test_a_run_killed_three_times_leaves_nothing_and_the_next_builds_it_all(
    tmp_path: Path, landing: Path, reference: Reference
) -> None:
    home = new_home(tmp_path, landing)
    points = [KillPoint("ingest", "parent", 0.3), KillPoint("core", "group", 0.5),
              KillPoint("marts", "parent", 0.2)]  # fmt: skip
    for point in points:
        figures = kill_and_check(home, point)
        assert figures["processes"] >= 2, f"{point}: the run had started no process yet"
    finish(Run(home))
    assert differences(home.warehouse, reference.warehouse()) == []


def test_a_leftover_that_holds_the_warehouse_is_named_by_the_next_run(home: DataHome) -> None:
    """Where nothing ends a child with its parent (not Linux, say), the child holds the lock
    it was handed, and the next run names it instead of meeting DuckDB's lock error."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER], env=run_env(home), stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None
    child = int(holder.stdout.readline())
    try:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        assert psutil.pid_exists(child) and not lock_is_free(home)
        busy = subprocess.run(
            [HOOKHOUSE, "run", "--no-wait"], env=run_env(home), capture_output=True, text=True,
            check=False, timeout=600,
        )  # fmt: skip
        assert busy.returncode == 75, busy.stderr
        assert f"dbt build (pid {child}, since 20" in busy.stderr, busy.stderr
        assert f"(pid {holder.pid}, since 20" in busy.stderr and "left running" in busy.stderr
        assert f"to end it now: kill {child}" in busy.stderr
    finally:
        os.kill(child, signal.SIGKILL)
    left, _ = wait_until(lambda: [] if lock_is_free(home) else ["held"], LEFTOVER_SECONDS)
    assert left == []


LOCK_HOLDER = """
import subprocess, sys, time
from orchestration.paths import DataHome
from orchestration.warehouse.lock import share_address, warehouse_lock
CHILD = (
    "import sys, time; from orchestration.warehouse.lock import receive_lock; "
    "receive_lock(sys.argv[1], what='dbt build'); print('held', flush=True); time.sleep(600)"
)
with warehouse_lock(DataHome.from_env(), purpose="hookhouse run"):
    child = subprocess.Popen([sys.executable, "-c", CHILD, share_address()], stdout=subprocess.PIPE)
    assert child.stdout.readline() == b"held\\n"
    print(child.pid, flush=True)
    time.sleep(600)
"""


def test_the_guard_does_not_start_a_child_whose_parent_has_ended() -> None:
    guard = [sys.executable, "-m", "orchestration.processes"]
    orphan = subprocess.run([*guard, "--parent", "1", "--", "/bin/true"], check=False)
    assert orphan.returncode == 70
    refused = subprocess.run(
        [*guard, "--parent", str(os.getpid()), "--warehouse-lock", "@nobody", "--", "/bin/true"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode == 71 and "not handed over" in refused.stderr
    started = subprocess.run([*guard, "--parent", str(os.getpid()), "--", "/bin/true"], check=False)
    assert started.returncode == 0


STRESS_POINTS = [
    KillPoint(phase, mode, delay)
    for phase, delays in {
        "ingest": (0.0, 1.0, 3.0), "core": (0.0, 2.0), "marts": (0.0, 1.0), "marts_step": (0.0,),
    }.items()
    for delay in delays
    for mode in ("parent", "group")
]  # fmt: skip


@pytest.mark.stress
def test_many_kill_points_leave_nothing_and_recover_exactly(tmp_path: Path) -> None:
    """Each kill point on a fresh data home (100,000 events, and one copy of them under other
    names to pass the 48 MB that starts the parse workers), then the next run; one line of
    figures per point, printed as it is tried."""
    landing = landing_files(tmp_path / "landing", events=100_000, days=10, copies=1)
    prepare_manifest()
    reference = Reference(Run(new_home(tmp_path / "reference", landing)))
    expected = reference.warehouse()
    tables = table_count(expected)
    lines = []
    for number, point in enumerate(STRESS_POINTS):
        home = new_home(tmp_path / f"point{number}", landing)
        figures = kill_and_check(home, point)
        started = time.monotonic()
        finish(Run(home))
        wrong = differences(home.warehouse, expected)
        lines.append(
            f"{point.phase:>10} {point.mode:>6} +{point.delay:.1f}s: killed at "
            f"{figures['killed_at']:6.1f} s, {figures['processes']:.0f} processes, none left "
            f"after {figures['gone_after']:.1f} s, lock free, recovered in "
            f"{time.monotonic() - started:.0f} s, {tables - len(wrong)}/{tables}"
            " tables equal"
        )
        print(lines[-1], flush=True)
        assert wrong == [], f"{point}: " + "\n".join(wrong)
        shutil.rmtree(home.root)
    print("\nkill points (phase, signal target, delay):\n" + "\n".join(lines))
