"""Ingest every new landing file into bronze: contract section 3, end to end.

Which files are new (by content hash), then each one's blocks through the parse workers,
in file order, into batches that commit as a whole.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import date

from orchestration.ingest.batch import Batch
from orchestration.ingest.block_task import BlockOutcome, BlockTask, process_block
from orchestration.ingest.blocks import Damage
from orchestration.ingest.bronze import ensure_tables, read_manifest, recover
from orchestration.ingest.discover import (
    LandingFile,
    Skipped,
    cannot_be_read,
    not_a_file,
    scan_landing,
)
from orchestration.ingest.file_group import (
    SMALL_FILE_BYTES,
    Grouper,
    GroupOutcome,
    GroupTask,
    process_group,
)
from orchestration.ingest.hashing import RunningHash, content_hash
from orchestration.ingest.readers import hashes_while_reading, read_blocks
from orchestration.ingest.report import FileResult, IngestReport
from orchestration.ingest.rows import damage_rows, empty_tables
from orchestration.ingest.worker_pool import WorkerPool
from orchestration.paths import DataHome
from orchestration.privacy.erasures import erased_set
from orchestration.privacy.identifiers import ErasedSet

Log = Callable[[str], None]


@dataclass(frozen=True)
class NewFile:
    """A landing file whose content is not in bronze yet."""

    landing_file: LandingFile
    size: int
    content_hash: str | None
    """None for a file certainly new (its size is no other file's), hashed as it is read."""


def ingest(home: DataHome, *, workers: int | None = None, log: Log | None = None) -> IngestReport:
    """Ingest every landing file not ingested before; returns what it did."""
    started = time.perf_counter()
    say = log or (lambda _message: None)
    report = IngestReport()
    report.recovered = recover(home.bronze)
    ensure_tables(home.bronze, empty_tables())
    scan = scan_landing(home.landing)
    report.ignored, report.in_progress = scan.ignored, scan.in_progress
    report.skipped += scan.skipped
    erased = erased_set(home)  # the people `hookhouse forget` erased; None: nobody
    manifest = read_manifest(home.bronze)
    seen = set(manifest["content_hash"].to_list())
    sized = _sized(scan.accepted, report)
    # A file whose size no ingested file has is taken to be new until its hash says
    # otherwise, so the workers can start before the hashing is done. (A copy of an ingested
    # file under another name has its size: it starts nothing on every later run.)
    known_sizes = set(manifest["size_bytes"].to_list())
    with WorkerPool(workers) as pool:
        pool.start(sum(size for _, size in sized if size not in known_sizes))
        todo = _new_files(sized, seen, known_sizes, report)
        if todo:
            pool.start(sum(new.size for new in todo))  # Known sizes can hold new content.
            _ingest_files(home, todo, report, pool, say, erased)
    report.seconds = time.perf_counter() - started
    return report


def _sized(accepted: list[LandingFile], report: IngestReport) -> list[tuple[LandingFile, int]]:
    """The accepted files with their sizes; one that cannot be examined, or that is no longer
    a regular file (say, replaced by a FIFO since the scan), is skipped with its reason."""
    sized: list[tuple[LandingFile, int]] = []
    for landing_file in accepted:
        try:
            status = landing_file.path.stat()
        except OSError as error:
            report.skipped.append(_unreadable(landing_file, error))
            continue
        if (why_not := not_a_file(status.st_mode)) is not None:
            report.skipped.append(Skipped(landing_file.relative, why_not))
        else:
            sized.append((landing_file, status.st_size))
    return sized


def _unreadable(landing_file: LandingFile, error: OSError) -> Skipped:
    """A file that could not be read, skipped with the system's reason."""
    return Skipped(landing_file.relative, cannot_be_read(error))


def _new_files(
    sized: list[tuple[LandingFile, int]], seen: set[str], known_sizes: set[int],
    report: IngestReport,
) -> list[NewFile]:  # fmt: skip
    """The files whose content was not ingested before, with their content hashes.

    A file whose size no ingested file and no other landing file has is new for sure:
    when its reader can hash it as it reads (plain NDJSON), it is not hashed beforehand, so
    the workers parse its first blocks while the rest is still being read (on 1 GB, the
    hashing pass took 0.25 s of this process and held back the first block by as much).
    """
    todo: list[NewFile] = []
    sizes = Counter(size for _, size in sized)
    for landing_file, size in sized:
        if (
            hashes_while_reading(landing_file) and size > SMALL_FILE_BYTES
            and size not in known_sizes and sizes[size] == 1
        ):  # fmt: skip
            todo.append(NewFile(landing_file, size, None))
            continue
        try:
            digest = content_hash(landing_file.path)
        except OSError as error:
            report.skipped.append(_unreadable(landing_file, error))
            continue
        if digest in seen:
            report.already_ingested.append(landing_file.relative)
            continue
        seen.add(digest)
        todo.append(NewFile(landing_file, size, digest))
    return todo


def _ingest_files(
    home: DataHome, todo: list[NewFile], report: IngestReport, pool: WorkerPool, say: Log,
    erased: ErasedSet | None,
) -> None:  # fmt: skip
    run = _Batches(home, report, pool, erased)
    try:
        for new in todo:
            say(f"ingesting {new.landing_file.relative} ({new.size / 1e6:.1f} MB)")
            run.ingest(new)
        run.end()
    except BaseException:
        run.batch.writer.abort()
        raise


class _Batches:
    """The files of one ingest, into batches: a large file block by block, small ones in
    groups (`file_group`), each batch committed once it has taken enough input."""

    def __init__(
        self, home: DataHome, report: IngestReport, pool: WorkerPool, erased: ErasedSet | None
    ) -> None:
        self.home, self.report, self.pool, self.erased = home, report, pool, erased
        self.batch = Batch(home)
        self.grouper: Grouper[NewFile] = Grouper()
        self.pending: deque[tuple[list[NewFile], Future[GroupOutcome] | GroupOutcome]] = deque()

    def ingest(self, new: NewFile) -> None:
        if new.size <= SMALL_FILE_BYTES:
            if not self.grouper.fits(new.landing_file, new.size):
                self._submit()
            self.grouper.add(new, new.landing_file, new.size)
            while len(self.pending) > self.pool.depth:
                self._finish(*self.pending.popleft())
        else:
            self._drain()
            try:
                result = _ingest_file(new, self.batch, self.pool.executor, self.pool.depth,
                                      self.erased)  # fmt: skip
            except OSError as error:
                self.report.skipped.append(_unreadable(new.landing_file, error))
            else:
                self._add(result)
        if self.batch.full:
            self._drain()
            self._commit()

    def end(self) -> None:
        self._drain()
        if self.batch.manifest:
            self._commit()
        else:
            self.batch.writer.abort()

    def _commit(self) -> None:
        self.batch.commit()
        self.report.batch_ids.append(self.batch.id)
        self.batch = Batch(self.home)

    def _add(self, result: FileResult) -> None:
        self.batch.add_file(result)
        self.report.files.append(result)

    def _submit(self) -> None:
        """Send the open group to a worker (or parse it here, when there are none)."""
        news, files = self.grouper.take()
        if not files:
            return
        writer = self.batch.writer
        task = GroupTask(files, self.batch.id, self.batch.ingested_at, writer,
                         writer.next_name(), self.erased)  # fmt: skip
        executor = self.pool.executor
        outcome = process_group(task) if executor is None else executor.submit(process_group, task)
        self.pending.append((news, outcome))

    def _drain(self) -> None:
        """Finish every group, the open one included."""
        self._submit()
        while self.pending:
            self._finish(*self.pending.popleft())

    def _finish(self, news: list[NewFile], outcome: Future[GroupOutcome] | GroupOutcome) -> None:
        done = outcome.result() if isinstance(outcome, Future) else outcome
        for new, counts in zip(news, done.files, strict=True):
            if counts.unreadable is not None:
                self.report.skipped.append(Skipped(new.landing_file.relative, counts.unreadable))
                continue
            assert new.content_hash is not None  # small files are hashed before they are read
            self._add(FileResult(
                new.landing_file.relative, new.content_hash, new.size,
                counts.kept + counts.rejected + counts.erased, counts.kept, counts.rejected,
                counts.type_errors, counts.damaged, counts.first_event_day,
                counts.last_event_day, counts.erased,
            ))  # fmt: skip
        self.batch.add(done.rows, done.rejects)


def _ingest_file(
    new: NewFile, batch: Batch, executor: Executor | None, depth: int, erased: ErasedSet | None
) -> FileResult:
    kept = rejected = type_errors = dropped = 0
    damaged = False
    days: list[date] = []
    running = RunningHash() if new.content_hash is None else None
    for outcome in _outcomes(new, batch, executor, depth, running, erased):
        if isinstance(outcome, Damage):
            damaged = True
            rejected += 1
            batch.add(None, damage_rows(outcome, batch.provenance(new.landing_file.relative)))
            continue
        kept += outcome.kept
        rejected += outcome.rejected
        type_errors += outcome.type_errors
        dropped += outcome.erased
        days += [d for d in (outcome.first_event_day, outcome.last_event_day) if d]
        batch.add(outcome.rows, outcome.rejects)
    digest = running.hexdigest() if running is not None else new.content_hash
    assert digest is not None
    return FileResult(
        new.landing_file.relative, digest, new.size, kept + rejected + dropped,
        kept, rejected, type_errors, damaged, min(days, default=None), max(days, default=None),
        dropped,
    )  # fmt: skip


def _outcomes(
    new: NewFile, batch: Batch, executor: Executor | None, depth: int,
    running: RunningHash | None, erased: ErasedSet | None,
) -> Iterator[BlockOutcome | Damage]:  # fmt: skip
    """Process a file's blocks, on the workers when there are any, in file order."""
    provenance = batch.provenance(new.landing_file.relative)
    pending: deque[Future[BlockOutcome] | Damage] = deque()
    for block in read_blocks(new.landing_file, running):
        if isinstance(block, Damage):
            pending.append(block)
        else:
            task = BlockTask(block, provenance, batch.writer, batch.writer.next_name(), erased)
            if executor is None:
                yield process_block(task)
            else:
                pending.append(executor.submit(process_block, task))
        while len(pending) > depth or (pending and isinstance(pending[0], Damage)):
            head = pending.popleft()
            yield head if isinstance(head, Damage) else head.result()
    while pending:
        head = pending.popleft()
        yield head if isinstance(head, Damage) else head.result()
