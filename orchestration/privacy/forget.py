"""`hookhouse forget`: remove a person's records from bronze, and say so in the audit.

Under the warehouse lock (bronze has one writer at a time), every committed part of
`hook_events` and `hook_rejects` that holds a record of the person (`identifiers.ErasedSet`;
a reject also when its raw text contains an identifier as given) is rewritten without them:
the new part is written beside the old one, then renamed over it (`bronze.write_atomic`),
so a crash leaves each part either old or new, and running forget again finishes the job
(what was removed is not found again). Then the audit row of each identifier is written to
`bronze/erasures`, from which the ingest drops the person's later deliveries. (A forget cut
short writes no audit; the run that finishes it audits what it removed itself.)

The warehouse is built from bronze, so it is rebuilt rather than edited: before the first
part is rewritten, forget leaves a marker (`REBUILD_MARKER`) that says the warehouse still
holds erased records. The command line then builds a new warehouse from bronze and clears
the marker; if that is cut short, the next `hookhouse forget` or `hookhouse run` sees the
marker and rebuilds in full.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from orchestration.bronze_layout import ERASURES, EVENTS, REJECTS, bronze_table
from orchestration.ingest.bronze import EMPTY_PART, ensure_tables, recover, write_atomic
from orchestration.ingest.rows import empty_tables
from orchestration.paths import DataHome
from orchestration.privacy.erasure_schema import ERASURES_SCHEMA
from orchestration.privacy.erasures import new_erasure_id
from orchestration.privacy.identifiers import ErasedSet, Identifier
from orchestration.privacy.keys import load_key
from orchestration.warehouse.lock import warehouse_lock

REBUILD_MARKER = ".rebuild-after-forget"
"""In the data home while the warehouse may still hold records forget removed from bronze."""


@dataclass
class ForgetReport:
    """What one `hookhouse forget` removed, per identifier and in all."""

    erasure_id: str
    identifiers: list[Identifier]
    events_removed: dict[Identifier, int] = field(default_factory=dict)
    rejects_removed: dict[Identifier, int] = field(default_factory=dict)
    parts_rewritten: int = 0
    events_total: int = 0
    rejects_total: int = 0

    def summary(self) -> str:
        lines = [
            f"forget {self.erasure_id}: {self.events_total} events and {self.rejects_total} "
            f"rejects removed from bronze ({self.parts_rewritten} parts rewritten)"
        ]
        for identifier in self.identifiers:
            lines.append(
                f"  {identifier.kind}: {self.events_removed.get(identifier, 0)} events, "
                f"{self.rejects_removed.get(identifier, 0)} rejects"
            )
        return "\n".join(lines)


def forget(home: DataHome, identifiers: Sequence[Identifier], *, wait: bool = True) -> ForgetReport:
    """Remove the records of the person these identifiers name from bronze; audit it."""
    identifiers = list(dict.fromkeys(identifiers))
    if not identifiers:
        raise ValueError("forget needs a profile id, an email address or a phone number")
    with warehouse_lock(home, wait=wait, purpose="hookhouse forget"):
        recover(home.bronze)  # an interrupted ingest batch is finished or undone first
        ensure_tables(home.bronze, empty_tables())
        key = load_key(home)
        assert key is not None
        report = ForgetReport(new_erasure_id(), list(identifiers))
        each = {i: ErasedSet(key, frozenset({i.hashed(key)})) for i in identifiers}
        for table in (EVENTS, REJECTS):
            for part in bronze_table(table).files(home.bronze):
                _forget_in_part(home, part, table, each, report)
        now = datetime.now(UTC)
        write_erasures(
            home.bronze,
            report.erasure_id,
            [
                {
                    "erasure_id": report.erasure_id,
                    "erased_at": now,
                    "identifier_kind": identifier.kind,
                    "identifier_hash": identifier.hashed(key),
                    "events_removed": report.events_removed.get(identifier, 0),
                    "rejects_removed": report.rejects_removed.get(identifier, 0),
                }
                for identifier in identifiers
            ],
        )
    return report


def write_erasures(bronze: Path, erasure_id: str, rows: list[dict[str, object]]) -> None:
    """One forget run's rows, as one part written atomically."""
    part = bronze_table(ERASURES).root(bronze) / f"part-{erasure_id}.parquet"
    write_atomic(pl.DataFrame(rows, schema=ERASURES_SCHEMA), part)


def _forget_in_part(
    home: DataHome, part: Path, table: str, each: dict[Identifier, ErasedSet],
    report: ForgetReport,
) -> None:  # fmt: skip
    if part.name == EMPTY_PART:
        return
    frame = pl.read_parquet(part)
    if frame.height == 0:
        return
    removed = pl.Series("erased", [False] * frame.height)
    counts = report.events_removed if table == EVENTS else report.rejects_removed
    for identifier, erased in each.items():
        if table == EVENTS:
            mask = erased.events_mask(frame)
        else:
            mask = erased.rejects_mask(frame) | _contains(frame["raw"], identifier)
        counts[identifier] = counts.get(identifier, 0) + int(mask.sum())
        removed = removed | mask
    if not removed.any():
        return
    mark_rebuild(home, report.erasure_id)
    write_atomic(frame.filter(~removed), part)
    report.parts_rewritten += 1
    if table == EVENTS:
        report.events_total += int(removed.sum())
    else:
        report.rejects_total += int(removed.sum())


def _contains(raw: pl.Series, identifier: Identifier) -> pl.Series:
    """Whether each raw text holds the identifier as given (an address in any case)."""
    value = identifier.value.strip()
    if identifier.kind == "email":
        return raw.str.to_lowercase().str.contains(value.lower(), literal=True).fill_null(False)
    return raw.str.contains(value, literal=True).fill_null(False)


def mark_rebuild(home: DataHome, erasure_id: str) -> None:
    """Say, durably, that the warehouse must be rebuilt from bronze (the latest forget wins)."""
    marker = home.root / REBUILD_MARKER
    temporary = marker.with_name(f"{marker.name}.tmp")
    temporary.write_text(erasure_id)
    os.replace(temporary, marker)


def rebuild_pending(home: DataHome) -> str | None:
    """The erasure the warehouse has not been rebuilt since, or None."""
    try:
        return (home.root / REBUILD_MARKER).read_text().strip() or None
    except FileNotFoundError:
        return None


def clear_rebuild(home: DataHome, erasure_id: str) -> None:
    """After a rebuild that began with this marker: unless a later forget replaced it."""
    if rebuild_pending(home) == erasure_id:
        (home.root / REBUILD_MARKER).unlink(missing_ok=True)


def discard_warehouse(home: DataHome) -> None:
    """Delete the warehouse file (and its write-ahead log), under the lock: a rebuild into a
    new file leaves no erased record in the free pages of the old one."""
    with warehouse_lock(home, purpose="hookhouse forget"):
        for path in (home.warehouse, home.warehouse.with_name(home.warehouse.name + ".wal")):
            path.unlink(missing_ok=True)
