"""What an ingest run reports: per landing file, and for the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class FileResult:
    """What ingest did with one landing file (its `ingested_files` row, but the batch's)."""

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
