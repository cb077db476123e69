"""Who else has `warehouse.duckdb` open: an analyst's notebook, a BI tool, the duckdb CLI.

DuckDB lets one process open a database file read-write, or any number open it read-only,
never both: a read-only session of an analyst stops dbt from building, and DuckDB's own error
("Could not set lock on file ... Conflicting lock is held"), coming from inside dbt, reached
the user as "dbt exited with an error, and no node failed". DuckDB keeps that rule with a POSIX
record lock on the whole file (F_RDLCK for a read-only session, F_WRLCK for a writer), so
`fcntl(F_GETLK)` tells, without opening the database, whether another process holds one and
which. The run asks before it starts dbt, and names the process and what to do.

(The warehouse lock, orchestration/warehouse/lock.py, is hookhouse's own and keeps hookhouse's
writers apart; this is about everyone else.)
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

_FLOCK = "hhqqi4x"
"""struct flock on Linux (l_type, l_whence, l_start, l_len, l_pid), with its padding."""

_DUCKDB_CONFLICT = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")
"""DuckDB's words for a file another process has open, as dbt reports them."""


@dataclass(frozen=True)
class Session:
    """A process that has the warehouse file open in DuckDB."""

    pid: int
    writing: bool | None
    """None when it is not known (DuckDB's error does not say)."""
    command: str

    def message(self, warehouse: Path) -> str:
        mode = {True: " read-write", False: " read-only", None: ""}[self.writing]
        return (
            f"the warehouse {warehouse} is open{mode} in another process: pid {self.pid} "
            f"({self.command}). DuckDB lets no process write the file while another has it "
            "open, even read-only, so dbt cannot build it. Close that connection (a notebook, "
            "a BI tool, the duckdb CLI) and run `hookhouse run` again; it resumes where it "
            "stopped. To query during runs, query a copy of the file."
        )


def open_elsewhere(warehouse: Path) -> Session | None:
    """The process, not this one, that has `warehouse` open in DuckDB; None when none has (or
    the file does not exist yet)."""
    try:
        descriptor = os.open(warehouse, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        asked = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
        kind, _whence, _start, _length, pid = struct.unpack(
            _FLOCK, fcntl.fcntl(descriptor, fcntl.F_GETLK, asked)
        )
    except OSError:
        return None  # a file system without record locks: DuckDB cannot lock it either
    finally:
        os.close(descriptor)
    if kind == fcntl.F_UNLCK:
        return None
    return Session(pid, kind == fcntl.F_WRLCK, command_of(pid))


def from_duckdb_error(text: str) -> Session | None:
    """The process DuckDB's lock error in `text` (dbt's log) names, if it names one."""
    if (match := _DUCKDB_CONFLICT.search(text)) is None:
        return None
    pid = int(match[2])
    return Session(pid, writing=None, command=command_of(pid) or match[1])


def command_of(pid: int) -> str:
    """The process's command line (Linux /proc), or its executable as DuckDB named it."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "a process that has ended, or that this user cannot see"
    command = raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()
    return command[:200] or "unknown command"
