"""Ingest every new landing file into bronze: contract section 3, end to end."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import polars as pl

from orchestration.ingest import bronze
from orchestration.ingest.discover import LandingFile, scan_landing
from orchestration.ingest.readers import (
    Damage,
    ElementBlock,
    LineBlock,
    LineRange,
    RunningHash,
    content_hash,
    hashes_while_reading,
    read_blocks,
)
from orchestration.ingest.records import REJECT_SCHEMA, ParsedBlock, parse_block, parse_records
from orchestration.paths import DataHome

FLUSH_BYTES = 192 * 1024 * 1024
"""Kept rows are staged to Parquet once this much is buffered: it bounds memory."""
COMMIT_INPUT_BYTES = 2 * 1024**3
"""A batch is committed after about this much input, so a crash in a long backlog loses little."""
PARALLEL_MIN_BYTES = 48 * 1024 * 1024
"""Below this much new input, parsing in this process beats starting workers."""

Log = Callable[[str], None]


@dataclass(frozen=True)
class FileResult:
    """What ingest did with one landing file."""

    source_file: str
    content_hash: str
    size_bytes: int
    records: int
    kept: int
    rejected: int
    type_errors: int
    damaged: bool
    first_event_day: date | None
    last_event_day: date | None


@dataclass
class IngestReport:
    """What one ingest run did; `summary()` is what the command line prints."""

    batch_ids: list[str] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    already_ingested: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def kept(self) -> int:
        return sum(f.kept for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def type_errors(self) -> int:
        return sum(f.type_errors for f in self.files)

    @property
    def bytes_read(self) -> int:
        return sum(f.size_bytes for f in self.files)

    @property
    def event_days(self) -> tuple[date, date] | None:
        firsts = [f.first_event_day for f in self.files if f.first_event_day]
        lasts = [f.last_event_day for f in self.files if f.last_event_day]
        return (min(firsts), max(lasts)) if firsts else None

    def summary(self) -> str:
        lines = [
            f"ingest: {len(self.files)} new files ({self.bytes_read / 1e6:.1f} MB) in "
            f"{self.seconds:.1f}s: {self.records} records, {self.kept} kept, "
            f"{self.rejected} rejected, {self.type_errors} with a wrong-typed optional field"
        ]
        if self.event_days:
            lines.append(f"  event days {self.event_days[0]} to {self.event_days[1]}")
        if self.already_ingested:
            lines.append(f"  {len(self.already_ingested)} files already ingested (skipped)")
        if self.in_progress:
            lines.append(f"  {len(self.in_progress)} files still being written (skipped)")
        for name in self.ignored:
            lines.append(f"  ignored (not a landing format): {name}")
        for problem in self.unreadable:
            lines.append(f"  not read, will retry next run: {problem}")
        for action in self.recovered:
            lines.append(f"  recovery: {action}")
        damaged = [f.source_file for f in self.files if f.damaged]
        for name in damaged:
            lines.append(f"  damaged, kept what was readable: {name}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Provenance:
    """Where a block's rows came from, stamped on every bronze row. The file's content hash
    is not among them: it is in the batch's `ingested_files` row, found by `source_file` and
    `batch_id` (a new file is parsed before its hash is known; see `NewFile`)."""

    source_file: str
    batch_id: str
    ingested_at: datetime

    def columns(self) -> list[pl.Expr]:
        return [
            pl.lit(self.source_file).alias("source_file"),
            pl.lit(self.batch_id).alias("batch_id"),
            pl.lit(self.ingested_at).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
        ]


@dataclass(frozen=True)
class BlockTask:
    """One block to parse; big results are staged by whoever parses them."""

    block: LineBlock | ElementBlock | LineRange
    provenance: Provenance
    writer: bronze.BatchWriter
    part_name: str


@dataclass(frozen=True)
class BlockOutcome:
    """Counts for the manifest, and the rows left for the batch buffer (small blocks only)."""

    kept: int
    rejected: int
    type_errors: int
    first_event_day: date | None
    last_event_day: date | None
    rows: pl.DataFrame | None
    rejects: pl.DataFrame | None


STAGE_DIRECTLY_ROWS = 5_000
"""A block with at least this many kept rows is staged by its parser, not sent back."""


def bronze_rows(parsed: ParsedBlock, provenance: Provenance) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hook_events rows (with `event_day`, the partition) and hook_rejects rows of a block."""
    stamp = provenance.columns()
    rows = parsed.kept.with_columns(*stamp, pl.col("event_at").dt.date().alias("event_day"))
    return (
        rows.select(*_EVENT_COLUMNS, *PROVENANCE_COLUMNS, "event_day"),
        parsed.rejects.with_columns(stamp),
    )


def empty_tables() -> dict[str, pl.DataFrame]:
    """Each bronze table with no rows: its schema, for readers of an empty data home."""
    nothing = Provenance("", "", datetime(1970, 1, 1, tzinfo=UTC))
    rows, rejects = bronze_rows(parse_records([], []), nothing)
    manifest = pl.DataFrame(schema=bronze.MANIFEST_SCHEMA)
    return {bronze.EVENTS: rows, bronze.REJECTS: rejects, bronze.MANIFEST: manifest}


def process_block(task: BlockTask) -> BlockOutcome:
    """Parse one block, stamp provenance, and stage it when it is big enough to stand alone."""
    block = task.block.read() if isinstance(task.block, LineRange) else task.block
    rows, rejects = bronze_rows(parse_block(block), task.provenance)
    first = last = None
    type_errors = 0
    if rows.height:
        first, last, type_errors = rows.select(
            pl.col("event_day").min().alias("first"),
            pl.col("event_day").max().alias("last"),
            pl.col("type_errors").is_not_null().sum(),
        ).row(0)
    outcome_rows: pl.DataFrame | None = rows
    outcome_rejects: pl.DataFrame | None = rejects
    if rows.height >= STAGE_DIRECTLY_ROWS:
        task.writer.stage_events(rows, task.part_name)
        outcome_rows = None
    if rejects.height >= STAGE_DIRECTLY_ROWS:
        task.writer.stage_rejects(rejects, task.part_name)
        outcome_rejects = None
    return BlockOutcome(
        rows.height, rejects.height, type_errors, first, last, outcome_rows, outcome_rejects
    )


@dataclass(frozen=True)
class NewFile:
    """A landing file whose content is not in bronze yet."""

    landing_file: LandingFile
    size: int
    content_hash: str | None
    """None for a file certainly new (its size is no other file's), hashed as it is read."""


def _outcomes(
    new: NewFile, batch: _Batch, executor: Executor | None, depth: int,
    running: RunningHash | None,
) -> Iterator[BlockOutcome | Damage]:  # fmt: skip
    """Process a file's blocks, on the workers when there are any, in file order."""
    provenance = batch.provenance(new)
    pending: deque[Future[BlockOutcome] | Damage] = deque()
    for block in read_blocks(new.landing_file, running):
        if isinstance(block, Damage):
            pending.append(block)
        else:
            task = BlockTask(block, provenance, batch.writer, batch.writer.next_name())
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


class _Batch:
    """One batch in the making: buffers, staged parts, and the manifest rows."""

    def __init__(self, home: DataHome) -> None:
        self.id = bronze.new_batch_id()
        self.writer = bronze.BatchWriter(home.bronze, self.id)
        self.ingested_at = datetime.now(UTC)
        self.kept: list[pl.DataFrame] = []
        self.rejects: list[pl.DataFrame] = []
        self.buffered = 0
        self.manifest: list[FileResult] = []
        self.input_bytes = 0

    def provenance(self, new: NewFile) -> Provenance:
        return Provenance(new.landing_file.relative, self.id, self.ingested_at)

    def add(self, kept: pl.DataFrame | None, rejects: pl.DataFrame | None) -> None:
        if kept is not None and kept.height:
            self.kept.append(kept)
            self.buffered += kept.estimated_size()
        if rejects is not None and rejects.height:
            self.rejects.append(rejects)
            self.buffered += rejects.estimated_size()
        if self.buffered >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.kept:
            self.writer.stage_events(pl.concat(self.kept), self.writer.next_name())
        if self.rejects:
            self.writer.stage_rejects(pl.concat(self.rejects), self.writer.next_name())
        self.kept, self.rejects, self.buffered = [], [], 0

    def commit(self) -> None:
        self.flush()
        rows = [
            {
                **{k: getattr(f, k) for k in bronze.MANIFEST_SCHEMA if hasattr(f, k)},
                "batch_id": self.id,
                "ingested_at": self.ingested_at,
            }
            for f in self.manifest
        ]
        self.writer.commit(pl.DataFrame(rows, schema=bronze.MANIFEST_SCHEMA))


def _ingest_file(new: NewFile, batch: _Batch, executor: Executor | None, depth: int) -> FileResult:
    kept = rejected = type_errors = 0
    damaged = False
    days: list[date] = []
    running = RunningHash() if new.content_hash is None else None
    for outcome in _outcomes(new, batch, executor, depth, running):
        if isinstance(outcome, Damage):
            damaged = True
            rejected += 1
            damage = pl.DataFrame(
                {"position": [outcome.position], "raw": [outcome.raw], "error": [outcome.error]},
                schema=REJECT_SCHEMA,
            )
            batch.add(None, damage.with_columns(batch.provenance(new).columns()))
            continue
        kept += outcome.kept
        rejected += outcome.rejected
        type_errors += outcome.type_errors
        days += [d for d in (outcome.first_event_day, outcome.last_event_day) if d]
        batch.add(outcome.rows, outcome.rejects)
    digest = running.hexdigest() if running is not None else new.content_hash
    assert digest is not None
    return FileResult(
        new.landing_file.relative, digest, new.size, kept + rejected,
        kept, rejected, type_errors, damaged, min(days, default=None), max(days, default=None),
    )  # fmt: skip


PROVENANCE_COLUMNS = ["source_file", "batch_id", "ingested_at"]
_EVENT_COLUMNS = [
    "event_key", "event_type", "event_at", "account_id", "list_id", "profile_id", "_xxh",
    "_md5", "is_test", "is_static", "sends_trying_num", "subscription_hash_id", "type_errors",
    "record", "position",
]  # fmt: skip


WORKER_JEMALLOC = "dirty_decay_ms:-1,muzzy_decay_ms:-1"
"""Added last to the parse workers' `_RJEM_MALLOC_CONF`, so it wins over Polars' own default
(pages freed for 0.5 s go back to the system). Polars' allocator then keeps the pages one
block frees for the next block: on a 1 GB dump the workers take 60% fewer page faults and
the ingest about 5% less time, while a worker's memory stays what its largest block needs."""


def _ready() -> None:
    """A worker's first task: unpickling it imports this module, and with it the parser."""


@contextmanager
def _jemalloc_conf(extra: str) -> Iterator[None]:
    """`extra` added to the jemalloc settings of the processes started inside."""
    name = "_RJEM_MALLOC_CONF"
    before = os.environ.get(name)
    os.environ[name] = f"{before},{extra}" if before else extra
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


class _Workers:
    """The parse worker processes of one ingest: started when there is enough to parse,
    shut down when the ingest ends. The jemalloc setting holds for the whole time, so a
    worker the pool starts late gets it too (this process's allocator is set up already)."""

    def __init__(self, workers: int | None) -> None:
        self.count = workers if workers is not None else (os.cpu_count() or 1)
        self.executor: ProcessPoolExecutor | None = None
        self._environment = _jemalloc_conf(WORKER_JEMALLOC)

    def __enter__(self) -> _Workers:
        self._environment.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.executor is not None:
                self.executor.shutdown(cancel_futures=True)
        finally:
            self._environment.__exit__(None, None, None)

    def start(self, new_bytes: int) -> None:
        """Start the workers, unless they run already or `new_bytes` is too little for them.

        They start at once, not with the first block: they import while this process
        hashes the files.
        """
        if self.executor is not None or self.count <= 1 or new_bytes < PARALLEL_MIN_BYTES:
            return
        context = multiprocessing.get_context("spawn")
        self.executor = ProcessPoolExecutor(self.count, mp_context=context)
        # A spawn pool starts a worker for each task sent while none of its workers is idle.
        for _ in range(self.count):
            self.executor.submit(_ready)


def ingest(home: DataHome, *, workers: int | None = None, log: Log | None = None) -> IngestReport:
    """Ingest every landing file not ingested before; returns what it did."""
    started = time.perf_counter()
    say = log or (lambda _message: None)
    report = IngestReport()
    report.recovered = bronze.recover(home.bronze)
    bronze.ensure_tables(home.bronze, empty_tables())
    scan = scan_landing(home.landing)
    report.ignored, report.in_progress = scan.ignored, scan.in_progress
    manifest = bronze.read_manifest(home.bronze)
    seen = set(manifest["content_hash"].to_list())
    sized: list[tuple[LandingFile, int]] = []
    for landing_file in scan.accepted:
        try:
            sized.append((landing_file, landing_file.path.stat().st_size))
        except OSError as error:
            report.unreadable.append(f"{landing_file.relative}: {error.strerror or error}")
    # A file whose size no ingested file has is taken to be new until its hash says
    # otherwise, so the workers can start before the hashing is done. (A copy of an ingested
    # file under another name has its size: it starts nothing on every later run.)
    known_sizes = set(manifest["size_bytes"].to_list())
    with _Workers(workers) as pool:
        pool.start(sum(size for _, size in sized if size not in known_sizes))
        todo = _new_files(sized, seen, known_sizes, report)
        if todo:
            pool.start(sum(new.size for new in todo))  # Known sizes can hold new content.
            _ingest_files(home, todo, report, pool.executor, say)
    report.seconds = time.perf_counter() - started
    return report


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
        if hashes_while_reading(landing_file) and size not in known_sizes and sizes[size] == 1:
            todo.append(NewFile(landing_file, size, None))
            continue
        try:
            new = NewFile(landing_file, size, content_hash(landing_file.path))
        except OSError as error:
            report.unreadable.append(f"{landing_file.relative}: {error.strerror or error}")
            continue
        if new.content_hash in seen:
            report.already_ingested.append(landing_file.relative)
            continue
        seen.add(new.content_hash)
        todo.append(new)
    return todo


def _ingest_files(
    home: DataHome, todo: list[NewFile], report: IngestReport,
    executor: Executor | None, say: Log,
) -> None:  # fmt: skip
    depth = 2 * (executor._max_workers if isinstance(executor, ProcessPoolExecutor) else 1)
    batch = _Batch(home)
    try:
        for new in todo:
            say(f"ingesting {new.landing_file.relative} ({new.size / 1e6:.1f} MB)")
            try:
                result = _ingest_file(new, batch, executor, depth)
            except OSError as error:
                report.unreadable.append(f"{new.landing_file.relative}: {error}")
                continue
            batch.manifest.append(result)
            batch.input_bytes += new.size
            report.files.append(result)
            if batch.input_bytes >= COMMIT_INPUT_BYTES:
                batch.commit()
                report.batch_ids.append(batch.id)
                batch = _Batch(home)
        if batch.manifest:
            batch.commit()
            report.batch_ids.append(batch.id)
        else:
            batch.writer.abort()
    except BaseException:
        batch.writer.abort()
        raise
