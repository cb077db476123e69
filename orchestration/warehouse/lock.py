"""One process at a time uses the warehouse: DuckDB allows a single writing process.

Every step that opens `warehouse.duckdb` (ingest, the dbt steps, the warehouse checks) holds
an exclusive lock on `$HOOKHOUSE_HOME/.warehouse.lock` (an OS file lock, released by the
kernel when its process ends, however it ends). A second `hookhouse run` waits for it, or
exits with a message under `--no-wait`; a step of a run launched from the Dagster UI waits
and logs who holds it. Within one process the lock is re-entrant, so `hookhouse run` holds
it for the whole run while its in-process steps take it again.
"""

from __future__ import annotations

import fcntl
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from orchestration.paths import DataHome

_held: dict[Path, int] = {}
"""Locks this process holds, and how many times it entered each."""


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse and the caller chose not to wait."""


def lock_path(home: DataHome) -> Path:
    return home.root / ".warehouse.lock"


def holder(home: DataHome) -> str:
    """Who holds the lock, as its holder wrote it (empty when nobody does)."""
    try:
        return lock_path(home).read_text().strip()
    except FileNotFoundError:
        return ""


@contextmanager
def warehouse_lock(
    home: DataHome,
    *,
    wait: bool = True,
    on_wait: Callable[[str], None] | None = None,
    purpose: str = "",
) -> Iterator[None]:
    """Hold the warehouse for the duration of the block.

    When another process holds it: with `wait`, call `on_wait` with a message and block until
    it is free; without, raise WarehouseBusy with that message.
    """
    path = lock_path(home)
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = (
                f"another process is writing the warehouse {home.warehouse} "
                f"({holder(home) or 'holder unknown'})"
            )
            if not wait:
                raise WarehouseBusy(message) from None
            (on_wait or _print_to_stderr)(f"{message}; waiting for it to finish")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"pid {os.getpid()} since {now} {purpose}".strip().encode(), 0)
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the lock


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
