"""One block's work, in a parse worker or in the ingest's own process: parse it, stamp its
provenance, and stage it when it is big enough to stand alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from orchestration.ingest.blocks import ElementBlock, LineBlock, LineRange, RejectedRecords
from orchestration.ingest.bronze import BatchWriter
from orchestration.ingest.parse import REJECT_SCHEMA, ParsedBlock, parse_block, parse_records
from orchestration.ingest.rows import Provenance, bronze_rows
from orchestration.privacy.identifiers import ErasedSet

STAGE_DIRECTLY_ROWS = 5_000
"""A block with at least this many kept rows is staged by its parser, not sent back."""


@dataclass(frozen=True)
class BlockTask:
    """One block to parse; big results are staged by whoever parses them."""

    block: LineBlock | ElementBlock | LineRange | RejectedRecords
    provenance: Provenance
    writer: BatchWriter
    part_name: str
    erased: ErasedSet | None = None
    """The people `hookhouse forget` erased: their records are dropped, not kept or rejected."""


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
    erased: int = 0
    """Records of erased people, dropped."""


def process_block(task: BlockTask) -> BlockOutcome:
    """Parse one block, stamp provenance, and stage it when it is big enough to stand alone."""
    block = task.block.read() if isinstance(task.block, LineRange) else task.block
    parsed = rejected_block(block) if isinstance(block, RejectedRecords) else parse_block(block)
    rows, rejects = bronze_rows(parsed, task.provenance)
    erased = 0
    if task.erased is not None:
        rows, rejects, erased = without_erased(rows, rejects, task.erased)
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
        rows.height, rejects.height, type_errors, first, last, outcome_rows, outcome_rejects,
        erased,
    )  # fmt: skip


def without_erased(
    rows: pl.DataFrame, rejects: pl.DataFrame, erased: ErasedSet
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """The rows and rejects that are no erased person's, and how many were."""
    kept_rows = rows.filter(~erased.events_mask(rows)) if rows.height else rows
    kept_rejects = rejects.filter(~erased.rejects_mask(rejects)) if rejects.height else rejects
    dropped = rows.height - kept_rows.height + rejects.height - kept_rejects.height
    return kept_rows, kept_rejects, dropped


def rejected_block(block: RejectedRecords) -> ParsedBlock:
    """The rejects a reader decided itself, as a parsed block with no kept rows."""
    nothing = parse_records([], [])
    data = {"position": block.positions, "raw": block.raws, "error": block.errors}
    return ParsedBlock(nothing.kept, pl.DataFrame(data, schema=REJECT_SCHEMA))


def ready() -> None:
    """A worker's first task: unpickling it imports this module, and with it the parser."""
