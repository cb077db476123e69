"""Small landing files, read and parsed several at a time by one worker.

Altcraft's HTTP hooks land as many small files (a JSON batch of a few hundred records, a
receiver's group commit, a consumer's gzipped hour), and handling each one alone costs
more than its records: a task sent to a worker, a parse of a few hundred records, a
Polars frame built for them. So small files are grouped (`Grouper`): the worker reads
every file of a group itself (decompressing, scanning JSON batches: work the ingest's own
process would otherwise do alone), parses all their records in one `parse_records` call,
and stamps each row with its own file. A record's position is carried through the parse
as `file index << POSITION_BITS | position`, and split again afterwards.

A group's rows are staged by the worker when there are enough of them, as a block's are
(`block_task`); each file's counts come back for its manifest row. A file that cannot be
read (it went away, its permissions changed) adds no row: it is named as unreadable, and
the next run reads it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

import polars as pl

from orchestration.ingest.block_task import STAGE_DIRECTLY_ROWS, rejected_block, without_erased
from orchestration.ingest.blocks import (
    Damage,
    ElementBlock,
    LineBlock,
    LineRange,
    RejectedRecords,
)
from orchestration.ingest.bronze import BatchWriter
from orchestration.ingest.discover import LandingFile, cannot_be_read
from orchestration.ingest.parse import ParsedBlock, parse_records
from orchestration.ingest.readers import read_blocks
from orchestration.ingest.rows import damage_reject, stamp_files
from orchestration.privacy.identifiers import ErasedSet

SMALL_FILE_BYTES = 8 * 1024 * 1024
"""A file up to this size as stored is read by a worker, in a group with others."""
GROUP_BYTES = 24 * 1024 * 1024
"""A group closes before its files' expected text passes this much (bounds a worker's memory)."""
GZIP_EXPANSION = 8
"""A gzipped file's text is reckoned as this many times its stored size."""
GROUP_FILES = 256
"""A group has at most this many files."""
POSITION_BITS = 40
"""A position is below 2**40 (a trillion lines); the file's index in its group goes above."""

T = TypeVar("T")


def expected_bytes(landing_file: LandingFile, size: int) -> int:
    """About how much text a file holds, for a group's budget."""
    return size * GZIP_EXPANSION if landing_file.gzipped else size


@dataclass(frozen=True)
class GroupTask:
    """Small files to read and parse in one go, in one batch."""

    files: list[LandingFile]
    batch_id: str
    ingested_at: datetime
    writer: BatchWriter
    part_name: str
    erased: ErasedSet | None = None


@dataclass(frozen=True)
class FileCounts:
    """One file's part of a group: what its manifest row needs."""

    kept: int = 0
    rejected: int = 0
    type_errors: int = 0
    damaged: bool = False
    first_event_day: date | None = None
    last_event_day: date | None = None
    erased: int = 0
    unreadable: str | None = None
    """Why the file could not be read (its rows, if any, were dropped); None when it was."""


@dataclass(frozen=True)
class GroupOutcome:
    """Each file's counts, in the group's order, and the rows left for the batch buffer."""

    files: list[FileCounts]
    rows: pl.DataFrame | None
    rejects: pl.DataFrame | None


@dataclass
class _Records:
    """The raw records of a group so far, with their encoded positions."""

    positions: list[int] = field(default_factory=list)
    raws: list[bytes] = field(default_factory=list)
    own_rejects: list[pl.DataFrame] = field(default_factory=list)
    """Rejects decided before parsing (damage, oversized records), positions encoded."""
    damaged: set[int] = field(default_factory=set)

    def add(self, index: int, block: object) -> None:
        base = index << POSITION_BITS
        if isinstance(block, LineRange):
            block = block.read()
        if isinstance(block, LineBlock):
            for offset, line in enumerate(block.data.split(b"\n")):
                if raw := line.strip():
                    self.positions.append(base + block.first_line + offset)
                    self.raws.append(raw)
        elif isinstance(block, ElementBlock):
            self.positions += [base + position for position in block.positions]
            self.raws += block.raws
        elif isinstance(block, RejectedRecords):
            rejects = rejected_block(block).rejects
            self.own_rejects.append(rejects.with_columns(pl.col("position") + base))
        elif isinstance(block, Damage):
            self.damaged.add(index)
            self.own_rejects.append(damage_reject(block, base))


def process_group(task: GroupTask) -> GroupOutcome:
    """Read, parse and stamp every file of the group; stage the rows when there are enough."""
    records = _Records()
    unreadable: dict[int, str] = {}
    for index, landing_file in enumerate(task.files):
        before = (len(records.raws), len(records.own_rejects))
        try:
            for block in read_blocks(landing_file):
                records.add(index, block)
        except OSError as error:
            unreadable[index] = cannot_be_read(error)
            del records.raws[before[0] :], records.positions[before[0] :]
            del records.own_rejects[before[1] :]
    parsed = parse_records(records.positions, records.raws)
    rejects = pl.concat([parsed.rejects, *records.own_rejects]).sort("position")
    names = [landing_file.relative for landing_file in task.files]
    rows, rejects = stamp_files(
        ParsedBlock(parsed.kept, rejects), names, task.batch_id, task.ingested_at, POSITION_BITS
    )
    before_erasure = _per_file(rows, rejects)
    if task.erased is not None:
        rows, rejects, _ = without_erased(rows, rejects, task.erased)
    counts = _counts(len(task.files), rows, rejects, before_erasure, records.damaged, unreadable)
    rows, rejects = rows.drop("file_index"), rejects.drop("file_index")
    outcome_rows: pl.DataFrame | None = rows
    outcome_rejects: pl.DataFrame | None = rejects
    if rows.height >= STAGE_DIRECTLY_ROWS:
        task.writer.stage_events(rows, task.part_name)
        outcome_rows = None
    if rejects.height >= STAGE_DIRECTLY_ROWS:
        task.writer.stage_rejects(rejects, task.part_name)
        outcome_rejects = None
    return GroupOutcome(counts, outcome_rows, outcome_rejects)


def _per_file(rows: pl.DataFrame, rejects: pl.DataFrame) -> dict[int, int]:
    """How many rows and rejects each file has."""
    both = pl.concat([rows.select("file_index"), rejects.select("file_index")])
    counted = both.group_by("file_index").len()
    return dict(zip(counted["file_index"].to_list(), counted["len"].to_list(), strict=True))


def _counts(
    files: int, rows: pl.DataFrame, rejects: pl.DataFrame, before_erasure: dict[int, int],
    damaged: set[int], unreadable: dict[int, str],
) -> list[FileCounts]:  # fmt: skip
    kept = {
        index: (count, type_errors, first, last)
        for index, count, type_errors, first, last in rows.group_by("file_index")
        .agg(
            pl.len(),
            pl.col("type_errors").is_not_null().sum(),
            pl.col("event_day").min().alias("first"),
            pl.col("event_day").max().alias("last"),
        )
        .iter_rows()
    }
    rejected = dict(rejects.group_by("file_index").len().iter_rows())
    counts: list[FileCounts] = []
    for index in range(files):
        if index in unreadable:
            counts.append(FileCounts(unreadable=unreadable[index]))
            continue
        count, type_errors, first, last = kept.get(index, (0, 0, None, None))
        bad = rejected.get(index, 0)
        erased = before_erasure.get(index, 0) - count - bad
        counts.append(FileCounts(count, bad, type_errors, index in damaged, first, last, erased))
    return counts


class Grouper(Generic[T]):
    """Small files gathered into groups, in landing order; each file comes with `item`, what
    its caller needs back with it."""

    def __init__(self) -> None:
        self.items: list[T] = []
        self.files: list[LandingFile] = []
        self._expected = 0

    def fits(self, landing_file: LandingFile, size: int) -> bool:
        """Whether the file can join the open group without passing its budget."""
        more = expected_bytes(landing_file, size)
        return not self.files or (
            len(self.files) < GROUP_FILES and self._expected + more <= GROUP_BYTES
        )

    def add(self, item: T, landing_file: LandingFile, size: int) -> None:
        self.items.append(item)
        self.files.append(landing_file)
        self._expected += expected_bytes(landing_file, size)

    def take(self) -> tuple[list[T], list[LandingFile]]:
        """The open group's items and files; a new group opens."""
        taken = (self.items, self.files)
        self.items, self.files, self._expected = [], [], 0
        return taken
