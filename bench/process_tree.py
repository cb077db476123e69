"""A command run to its end, timed, with the peak resident memory of its whole process tree."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    returncode: int
    seconds: float
    peak_rss: int
    """The largest sum of resident bytes over the process and its descendants (pages shared
    between them counted in each: an upper bound)."""
    stdout: str
    stderr: str


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def measured(command: Sequence[str], *, cwd: Path, env: dict[str, str] | None = None) -> Measured:
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(child.pid)
            while not done.is_set():
                peak = max(peak, tree_rss(process))
                done.wait(POLL_SECONDS)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    return Measured(child.returncode, seconds, peak, stdout, stderr)
