"""The commit step: one batch in the making, buffered, staged, then committed at once."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from orchestration.ingest.bronze import MANIFEST_SCHEMA, BatchWriter, new_batch_id
from orchestration.ingest.report import FileResult
from orchestration.ingest.rows import Provenance
from orchestration.paths import DataHome

FLUSH_BYTES = 192 * 1024 * 1024
"""Kept rows are staged to Parquet once this much is buffered: it bounds memory."""
COMMIT_INPUT_BYTES = 2 * 1024**3
"""A batch is committed after about this much input, so a crash in a long backlog loses little."""


class Batch:
    """One batch in the making: buffers, staged parts, and the manifest rows."""

    def __init__(self, home: DataHome) -> None:
        self.id = new_batch_id()
        self.writer = BatchWriter(home.bronze, self.id)
        self.ingested_at = datetime.now(UTC)
        self.kept: list[pl.DataFrame] = []
        self.rejects: list[pl.DataFrame] = []
        self.buffered: float = 0
        self.manifest: list[FileResult] = []
        self.input_bytes = 0

    def provenance(self, source_file: str) -> Provenance:
        return Provenance(source_file, self.id, self.ingested_at)

    def add(self, kept: pl.DataFrame | None, rejects: pl.DataFrame | None) -> None:
        if kept is not None and kept.height:
            self.kept.append(kept)
            self.buffered += kept.estimated_size()
        if rejects is not None and rejects.height:
            self.rejects.append(rejects)
            self.buffered += rejects.estimated_size()
        if self.buffered >= FLUSH_BYTES:
            self.flush()

    def add_file(self, result: FileResult) -> None:
        """A landing file read to its end: its row joins the batch's manifest."""
        self.manifest.append(result)
        self.input_bytes += result.size_bytes

    @property
    def full(self) -> bool:
        """Whether the batch has taken enough input to be committed now."""
        return self.input_bytes >= COMMIT_INPUT_BYTES

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
                **{k: getattr(f, k) for k in MANIFEST_SCHEMA if hasattr(f, k)},
                "batch_id": self.id,
                "ingested_at": self.ingested_at,
            }
            for f in self.manifest
        ]
        self.writer.commit(pl.DataFrame(rows, schema=MANIFEST_SCHEMA))
