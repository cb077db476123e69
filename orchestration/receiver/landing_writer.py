"""The group-commit writer: many small hook batches, one durable landing file per commit.

A batch waits at most `max_delay` seconds for others; then every waiting batch is written into
one new NDJSON file under a temporary hidden name (`.hooks-....ndjson.tmp`, which the ingest
never reads), the file is fsynced, renamed to its landing name, and the folder fsynced. Only
then are the batches' writers told that they are durable, and only then do they acknowledge.
So a file is either wholly in `landing/` under a name the ingest reads, or not there at all:
a crash at any point leaves at most a temporary file of batches nobody acknowledged, which the
next writer of the same host removes. While one commit is on its way to disk the next group
gathers, so the cost of the fsyncs is shared by every batch of a group.

Landing names carry the UTC time, host, process id, a random per-process part and a sequence
number, so that no two writers, on one machine or many, ever choose the same name.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import secrets
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orchestration.warehouse.lock import process_running

_TEMPORARY = re.compile(r"^\.hooks-.*-(?P<host>[^-]+)-(?P<pid>\d+)-[0-9a-f]{8}-\d+\.ndjson\.tmp$")


class LandingUnavailable(Exception):
    """The landing folder cannot take a commit now (disk full, not writable): retry later."""


@dataclass(frozen=True)
class WriterLimits:
    """When a commit is cut, and how much free space a commit must leave."""

    max_delay: float = 0.02
    """Seconds a batch waits for others before its commit starts."""
    max_file_bytes: int = 64 * 1024 * 1024
    """A group is cut at this size: a landing file holds at most this much, or one batch."""
    min_free_bytes: int = 256 * 1024 * 1024
    """A commit that would leave less free space than this on the landing disk is refused."""


@dataclass(frozen=True)
class Commit:
    """One landing file written and made durable."""

    path: Path
    batches: int
    bytes: int
    fsync_seconds: float


@dataclass
class _Waiting:
    lines: bytes
    done: asyncio.Future[Path]
    arrived: float


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "host"


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_abandoned(folder: Path) -> list[Path]:
    """Remove the temporary files of dead writers of this host below `folder`.

    Such a file holds only batches that were never acknowledged (their senders retry), and it is
    never read. A temporary file of a live writer, or of another host, is left alone.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    host = _host()
    for path in folder.rglob(".hooks-*.ndjson.tmp"):
        match = _TEMPORARY.match(path.name)
        if match and match["host"] == host and not process_running(int(match["pid"])):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


@dataclass
class _Names:
    """Landing names no other writer chooses: UTC time, host, pid, random part, sequence."""

    prefix: str = "hooks"
    host: str = field(default_factory=_host)
    pid: int = field(default_factory=os.getpid)
    nonce: str = field(default_factory=lambda: secrets.token_hex(4))
    sequence: int = 0

    def next(self, now: datetime) -> str:
        self.sequence += 1
        stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
        return f"{self.prefix}-{stamp}-{self.host}-{self.pid}-{self.nonce}-{self.sequence}.ndjson"


def _make_folders(folder: Path) -> None:
    """Create `folder` and its missing parents, each one's entry fsynced in its parent (a
    commit into a folder whose own entry could still vanish in a power cut is not durable)."""
    missing: list[Path] = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        _fsync_folder(created.parent)


def write_durably(folder: Path, name: str, chunks: list[bytes], limits: WriterLimits) -> Commit:
    """Write `chunks` as `folder/name`: temporary file, fsync, rename, folder fsync.

    Raises `LandingUnavailable`, having left nothing behind, when the disk is too full or the
    folder cannot be written.
    """
    size = sum(len(chunk) for chunk in chunks)
    temporary = folder / f".{name}.tmp"
    try:
        if not folder.is_dir():
            _make_folders(folder)
        free = os.statvfs(folder)
        if free.f_bavail * free.f_frsize - size < limits.min_free_bytes:
            raise LandingUnavailable(
                f"{folder}: less than {limits.min_free_bytes} bytes would be left free"
            )
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o640)
        try:
            view = memoryview(b"".join(chunks))
            while view:
                view = view[os.write(fd, view) :]
            started = time.perf_counter()
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, folder / name)
        temporary = folder / name  # from here, a failure takes back the renamed file
        _fsync_folder(folder)
        fsync_seconds = time.perf_counter() - started
    except OSError as error:
        with contextlib.suppress(OSError):  # nobody is told it is durable: it goes
            temporary.unlink(missing_ok=True)
        reason = errno.errorcode.get(error.errno or 0, "error")
        raise LandingUnavailable(f"{folder}: {reason}: {error.strerror or error}") from error
    return Commit(folder / name, len(chunks), size, fsync_seconds)


class LandingWriter:
    """Group-commits batches of NDJSON lines into `folder/<UTC day>/` (see the module doc).

    `write` returns once the lines are durable; it raises `LandingUnavailable` when the commit
    failed (nothing of it is in `landing/`), and `RuntimeError` once the writer is closed.
    """

    def __init__(
        self,
        folder: Path,
        limits: WriterLimits | None = None,
        *,
        on_commit: Callable[[Commit], None] | None = None,
    ) -> None:
        self.folder = folder
        self.limits = limits or WriterLimits()
        self._on_commit = on_commit
        self._names = _Names()
        self._waiting: deque[_Waiting] = deque()
        self._waiting_bytes = 0
        self._arrived = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        """Landing files committed so far."""

    async def start(self) -> None:
        """Remove this host's abandoned temporary files, then start committing."""
        await asyncio.to_thread(remove_abandoned, self.folder)
        self._task = asyncio.create_task(self._commit_loop(), name="landing-writer")

    async def write(self, lines: bytes) -> Path:
        """Add `lines` (whole NDJSON lines) to the next commit; its landing file, once durable."""
        if self._closing or self._task is None:
            raise RuntimeError("the landing writer is closed")
        waiting = _Waiting(lines, asyncio.get_running_loop().create_future(), time.monotonic())
        self._waiting.append(waiting)
        self._waiting_bytes += len(lines)
        self._arrived.set()
        return await waiting.done

    async def close(self) -> None:
        """Commit what is waiting, then stop: later `write`s raise."""
        self._closing = True
        self._arrived.set()
        if self._task is not None:
            await self._task

    async def _commit_loop(self) -> None:
        while True:
            await self._arrived.wait()
            if not self._waiting:
                self._arrived.clear()
                if self._closing:
                    return
                continue
            delay = self._waiting[0].arrived + self.limits.max_delay - time.monotonic()
            if delay > 0 and not self._closing and self._waiting_bytes < self.limits.max_file_bytes:
                await asyncio.sleep(min(delay, self.limits.max_delay))
                continue
            await self._commit(self._take_group())

    def _take_group(self) -> list[_Waiting]:
        group: list[_Waiting] = []
        size = 0
        limit = self.limits.max_file_bytes
        while self._waiting and (not group or size + len(self._waiting[0].lines) <= limit):
            waiting = self._waiting.popleft()
            group.append(waiting)
            size += len(waiting.lines)
        self._waiting_bytes -= size
        return group

    async def _commit(self, group: list[_Waiting]) -> None:
        now = datetime.now(UTC)
        folder = self.folder / now.strftime("%Y-%m-%d")
        name = self._names.next(now)
        chunks = [waiting.lines for waiting in group]
        try:
            commit = await asyncio.to_thread(write_durably, folder, name, chunks, self.limits)
        except Exception as error:  # every failure is answered, and none stops the loop
            failure = (
                error
                if isinstance(error, LandingUnavailable)
                else LandingUnavailable(f"{folder}: {error!r}")
            )
            for waiting in group:
                if not waiting.done.done():
                    waiting.done.set_exception(failure)
            return
        self.commits += 1
        if self._on_commit is not None:
            self._on_commit(commit)
        for waiting in group:
            if not waiting.done.done():
                waiting.done.set_result(commit.path)
