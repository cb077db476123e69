"""A full disk and a read-only data home, said plainly.

A run writes under the data home: bronze, `warehouse.duckdb`, the Dagster instance (SQLite),
dbt's logs. When it cannot, the error surfaces wherever the write was: an `OSError` in the
ingest, DuckDB's "No space left on device" inside dbt, SQLAlchemy's "database or disk is
full", SQLite's "unable to open database file". Nothing half-written is kept either way (bronze
commits a batch at once, DuckDB and SQLite roll back); what the user needs is one line that
says what is wrong and what to do, so the run checks that it can write before it starts, and
turns a write failure found later into that line.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

FULL_DISK_SIGNS = (
    "No space left on device",
    "database or disk is full",
    "Disk quota exceeded",
    "could not write to file",
)
"""How a full disk shows in the errors of the OS, SQLite (Dagster's instance) and DuckDB."""

READ_ONLY_SIGNS = ("Read-only file system", "attempt to write a readonly database")

LOW_SPACE_BYTES = 64 * 2**20
"""SQLite reports a write that found the disk full as a "disk I/O error" at times: with less
than this free, that is what it was."""


def unwritable(folders: Iterable[Path]) -> str | None:
    """What stops this process from writing in one of `folders` (created when missing), or
    None when it can write in all of them."""
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder, prefix=".hookhouse-write-check-"):
                pass
        except OSError as error:
            if error.errno == errno.ENOSPC:
                return full_disk(folder)
            reason = error.strerror or str(error)
            return (
                f"{folder} cannot be written ({reason}): a run writes bronze, the warehouse "
                "and its Dagster instance under the data home. Make it writable (remount it "
                "read-write, or give this user write access), or point HOOKHOUSE_HOME at a "
                "writable folder, and run again; nothing was changed."
            )
    return None


def _free(folder: Path) -> float:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return float("inf")


def full_disk(folder: Path) -> str:
    """The line for a full disk under `folder`: how much is free, and what to do."""
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:.1f} MB free"
    except OSError:
        free = "free space unknown"
    return (
        f"the disk that holds {folder} is full ({free}). Free some space, then run "
        "`hookhouse run` again: what this run had not committed was discarded, and the next "
        "run resumes where it stopped."
    )


def advice(text: str, home: Path) -> str | None:
    """The line for a run that failed because it could not write, judged from its error
    text; None when the text shows neither a full disk nor a read-only file system."""
    if any(sign in text for sign in FULL_DISK_SIGNS):
        return full_disk(home)
    if "disk I/O error" in text:
        if _free(home) < LOW_SPACE_BYTES:
            return full_disk(home)
        return f"a disk I/O error under {home}: check that disk (dmesg), then run again."
    if any(sign in text for sign in READ_ONLY_SIGNS):
        return unwritable([home]) or f"{home} became read-only during the run; run again."
    return None


def writable_folders(home: Path) -> list[Path]:
    """Where a run writes: the data home, and the Dagster home when it is set elsewhere."""
    folders = [home]
    if dagster := os.environ.get("DAGSTER_HOME"):
        folders.append(Path(dagster))
    return folders
