"""What an ingest run reports: per landing file, and for the whole run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from orchestration.ingest.discover import Skipped


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
    erased: int = 0
    """Records of people `hookhouse forget` erased: dropped, neither kept nor rejected."""


@dataclass
class IngestReport:
    """What one ingest run did; `summary()` is what the command line prints."""

    batch_ids: list[str] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    already_ingested: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    in_progress: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    """Landing entries not read, each with its reason: folders that cannot be listed, FIFOs,
    sockets and devices, dangling links and link loops, files that cannot be read. Every one
    is looked at again on the next run."""
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
    def erased(self) -> int:
        return sum(f.erased for f in self.files)

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
        if self.erased:
            lines.append(f"  {self.erased} records of erased people dropped (hookhouse forget)")
        if self.event_days:
            lines.append(f"  event days {self.event_days[0]} to {self.event_days[1]}")
        if self.already_ingested:
            lines.append(f"  {len(self.already_ingested)} files already ingested (skipped)")
        if self.in_progress:
            lines.append(f"  {len(self.in_progress)} files still being written (skipped)")
        for name in self.ignored:
            lines.append(f"  ignored (not a landing format): {name}")
        lines += skipped_lines(len(self.skipped), [str(entry) for entry in self.skipped])
        for action in self.recovered:
            lines.append(f"  recovery: {action}")
        damaged = [f.source_file for f in self.files if f.damaged]
        for name in damaged:
            lines.append(f"  damaged, kept what was readable: {name}")
        return "\n".join(lines)


def skipped_lines(count: int, entries: Sequence[str]) -> list[str]:
    """How a summary names the landing entries a run did not read (`Skipped`, as text): their
    count, then one line each. `entries` may be the first of them only."""
    if not count:
        return []
    noun = "entry" if count == 1 else "entries"
    lines = [f"  {count} landing {noun} not read (each is looked at again next run)"]
    lines += [f"  not read: {entry}" for entry in entries]
    if count > len(entries):
        lines.append(f"  not read: {count - len(entries)} more, named in the ingest's log")
    return lines
