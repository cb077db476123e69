"""One block's work, in a parse worker or in the ingest's own process: parse it, stamp its
provenance, and stage it when it is big enough to stand alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from orchestration.ingest.blocks import ElementBlock, LineBlock, LineRange
from orchestration.ingest.bronze import BatchWriter
from orchestration.ingest.parse import parse_block
from orchestration.ingest.rows import Provenance, bronze_rows

STAGE_DIRECTLY_ROWS = 5_000
"""A block with at least this many kept rows is staged by its parser, not sent back."""


@dataclass(frozen=True)
class BlockTask:
    """One block to parse; big results are staged by whoever parses them."""

    block: LineBlock | ElementBlock | LineRange
    provenance: Provenance
    writer: BatchWriter
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


def ready() -> None:
    """A worker's first task: unpickling it imports this module, and with it the parser."""
