"""One process at a time uses the warehouse: DuckDB allows a single writing process.

Every step that opens `warehouse.duckdb` or writes bronze (ingest, the dbt steps, the
warehouse checks) holds an exclusive lock on `$HOOKHOUSE_HOME/.warehouse.lock` (an OS file
lock, released by the kernel when its process ends, however it ends). A second `hookhouse
run` waits for it, or exits with a message under `--no-wait`; a step of a run launched from
the Dagster UI waits and logs who holds it. Within one process the lock is re-entrant, so
`hookhouse run` holds it for the whole run while its in-process steps take it again.

The processes a holder starts to write for it (dbt, the ingest's parse workers) hold the very
same lock: the holder hands them its lock's file descriptor over a Unix socket
(`share_address`, `receive_lock`; SCM_RIGHTS), and a flock belongs to the open file, not to
a process, so the kernel lets go of it only when the holder and every such child have ended.
A child that outlived its parent (where nothing ends it, or in the instant before it is
ended) therefore still holds the warehouse, and the next run waits for it and names it
instead of meeting DuckDB's own lock error. dagster-dbt starts dbt with `close_fds`, so dbt
cannot simply inherit the descriptor: the guard it is started through
(orchestration/processes.py) receives it and keeps it across the exec of dbt.

The lock file names its holders, one line each (`pid N since T what`): the holder first, then
each child it handed the lock to. A line of a process that has ended may remain; readers
check which still run.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import socket
import struct
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchestration.paths import DataHome

_POLL_SECONDS = 0.2
"""How often the sharing thread looks up from waiting, to see whether it should stop."""

_HANDOVER_SECONDS = 10.0
"""How long a child waits for its share of the lock before giving up (and not writing)."""


@dataclass
class _Held:
    """A lock this process holds: its descriptor, how many times it entered it, who holds it."""

    descriptor: int
    depth: int
    line: str
    children: dict[int, str] = field(default_factory=dict)


_held: dict[Path, _Held] = {}
"""Locks this process holds."""

_state = threading.Lock()
"""Guards `_held` between the thread that takes and lets go of locks and the sharing thread."""


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse and the caller chose not to wait."""


class LockUnavailable(RuntimeError):
    """A child could not receive its share of its parent's warehouse lock (so must not write)."""


def lock_path(home: DataHome) -> Path:
    return home.root / ".warehouse.lock"


def holder(home: DataHome) -> str:
    """Who holds the lock, as its holders wrote it (empty when nobody does)."""
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
        _held[path].depth += 1
        try:
            yield
        finally:
            if path in _held:  # an outer holder may have let go first (a generator closed late)
                _held[path].depth -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = busy_message(home)
            if not wait:
                raise WarehouseBusy(message) from None
            (on_wait or _print_to_stderr)(f"{message}; waiting for it to finish")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        held = _Held(descriptor, 1, f"pid {os.getpid()} since {_now()} {purpose}".strip())
        _write_holders(held)
        with _state:
            _held[path] = held
        try:
            yield
        finally:
            _let_go(path)
            held.line = ""  # the children still running, if any, hold it on
            _write_holders(held)
    finally:
        os.close(descriptor)  # releases the lock, unless a child still holds it too


def _let_go(path: Path) -> None:
    """Forget a lock this process lets go of; stop sharing when it holds no other."""
    global _sharer
    with _state:
        del _held[path]
        sharer, _sharer = (_sharer, None) if not _held else (None, _sharer)
    if sharer is not None:
        sharer.close()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _write_holders(held: _Held) -> None:
    """The lock file's text: the holder, then the children it handed the lock to that run."""
    for pid in [pid for pid in held.children if not process_running(pid)]:
        del held.children[pid]
    text = "\n".join(line for line in [held.line, *held.children.values()] if line)
    os.ftruncate(held.descriptor, 0)
    os.pwrite(held.descriptor, text.encode(), 0)


@dataclass(frozen=True)
class Holder:
    """One line of the lock file."""

    pid: int
    since: str
    what: str

    @property
    def running(self) -> bool:
        return process_running(self.pid)


_LINE = re.compile(r"^pid (\d+) since (\S+ \S+ UTC) ?(.*)$")


def holders(home: DataHome) -> list[Holder]:
    """The lock file's holders, the holder first (empty when nobody wrote one)."""
    found = []
    for line in holder(home).splitlines():
        if match := _LINE.match(line.strip()):
            found.append(Holder(int(match[1]), match[2], match[3]))
    return found


def busy_message(home: DataHome) -> str:
    """What holds the warehouse now and, when it is a leftover of an ended run, what to do."""
    found = holders(home)
    if found and found[0].running:
        owner = found[0]
        what = f" {owner.what}" if owner.what else ""
        return (
            f"another process is writing the warehouse {home.warehouse} "
            f"(pid {owner.pid} since {owner.since}{what})"
        )
    left = [child for child in found[1:] if child.running]
    if not left:
        return f"another process is writing the warehouse {home.warehouse} (holder unknown)"
    owner = found[0]
    running = "; ".join(f"{c.what or 'a process'} (pid {c.pid}, since {c.since})" for c in left)
    return (
        f"the warehouse {home.warehouse} is still held by what the process that held it "
        f"(pid {owner.pid}, since {owner.since}, {owner.what or 'unknown'}) left running when "
        f"it ended: {running}. It lets go of the warehouse when it ends; to end it now: "
        f"kill {' '.join(str(c.pid) for c in left)}"
    )


def process_running(pid: int) -> bool:
    """Whether a process of this pid exists (one of another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def share_address() -> str | None:
    """Where a child of this process receives the warehouse lock this process holds
    (`receive_lock`); None when it holds none. Shared until the lock is let go of."""
    global _sharer
    with _state:
        if not _held:
            return None
        if _sharer is None:
            _sharer = _LockSharer()
        return _sharer.address


def receive_lock(address: str, *, what: str) -> list[int]:
    """In a child: receive the parent's warehouse lock (its descriptors), held until this
    process ends. Raises LockUnavailable when the parent does not hand it over."""
    target = "\0" + address[1:] if address.startswith("@") else address
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(_HANDOVER_SECONDS)
        try:
            connection.connect(target)
            connection.sendall(f"{os.getpid()} {what}".encode())
            message, descriptors, _flags, _address = socket.recv_fds(connection, 1024, 16)
        except OSError as error:
            reason = f"the parent's warehouse lock was not handed over ({error})"
            raise LockUnavailable(reason) from error
    if message != b"ok" or not descriptors:
        for descriptor in descriptors:
            os.close(descriptor)
        reason = message.decode("utf-8", "replace") or "the parent closed the connection"
        raise LockUnavailable(f"the parent's warehouse lock was not handed over ({reason})")
    _received.extend(descriptors)
    return descriptors


_received: list[int] = []
"""The lock descriptors this process received from its parent: open until it ends."""


class _LockSharer:
    """A thread that hands this process's held locks to its children over a Unix socket
    (abstract on Linux, so nothing is left behind; a private folder elsewhere)."""

    def __init__(self) -> None:
        self._folder: str | None = None
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if sys.platform.startswith("linux"):
            name = f"hookhouse-warehouse-lock-{os.getpid()}-{secrets.token_hex(8)}"
            self.listener.bind("\0" + name)
            self.address = "@" + name
        else:
            self._folder = tempfile.mkdtemp(prefix="hookhouse-lock-")
            self.address = os.path.join(self._folder, "lock")
            self.listener.bind(self.address)
        self.listener.listen(16)
        self.listener.settimeout(_POLL_SECONDS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="warehouse-lock", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # A child refused, or gone before its share was sent, does not write.
            with connection, contextlib.suppress(OSError, ValueError):
                connection.settimeout(_HANDOVER_SECONDS)
                self._hand_over(connection)

    @staticmethod
    def _hand_over(connection: socket.socket) -> None:
        pid_text, _, what = connection.recv(1024).decode("utf-8", "replace").partition(" ")
        pid = int(pid_text)
        if not _is_my_child(connection, pid):
            connection.sendall(b"refused: not a child of the holder")
            return
        with _state:
            if not _held:
                connection.sendall(b"refused: the lock is no longer held")
                return
            # Named before it holds the lock: once its share is sent, the child may go on
            # (and this process end) before another line of this thread runs.
            for held in _held.values():
                held.children[pid] = f"pid {pid} since {_now()} {what}"
                _write_holders(held)
            socket.send_fds(connection, [b"ok"], [held.descriptor for held in _held.values()])


_sharer: _LockSharer | None = None


def _is_my_child(connection: socket.socket, pid: int) -> bool:
    """Whether the peer is the process it says it is, and a child of this one (Linux; elsewhere
    the socket's private folder is the only gate)."""
    if not sys.platform.startswith("linux"):
        return True
    credentials = connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    peer, uid, _gid = struct.unpack("3i", credentials)
    try:
        stat = Path(f"/proc/{peer}/stat").read_text()
    except OSError:
        return False
    parent = int(stat.rpartition(")")[2].split()[1])
    return peer == pid and uid == os.getuid() and parent == os.getpid()


def _print_to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
