"""Bronze rows: a parsed block's kept records and rejects as hook_events and hook_rejects rows,
stamped with where they came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from orchestration.bronze_layout import ERASURES, EVENTS, MANIFEST, REJECTS
from orchestration.ingest.blocks import Damage
from orchestration.ingest.bronze import MANIFEST_SCHEMA
from orchestration.ingest.parse import REJECT_SCHEMA, ParsedBlock, parse_records
from orchestration.privacy.erasure_schema import ERASURES_SCHEMA

PROVENANCE_COLUMNS = ["source_file", "batch_id", "ingested_at"]
_EVENT_COLUMNS = [
    "event_key", "event_type", "event_at", "account_id", "list_id", "profile_id", "_xxh",
    "_md5", "is_test", "is_static", "sends_trying_num", "subscription_hash_id", "type_errors",
    "record", "position",
]  # fmt: skip


@dataclass(frozen=True)
class Provenance:
    """Where a block's rows came from, stamped on every bronze row. The file's content hash
    is not among them: it is in the batch's `ingested_files` row, found by `source_file` and
    `batch_id` (a new file is parsed before its hash is known; see `pipeline.NewFile`)."""

    source_file: str
    batch_id: str
    ingested_at: datetime

    def columns(self) -> list[pl.Expr]:
        return [
            pl.lit(self.source_file).alias("source_file"),
            pl.lit(self.batch_id).alias("batch_id"),
            pl.lit(self.ingested_at).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
        ]


def bronze_rows(parsed: ParsedBlock, provenance: Provenance) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The hook_events rows (with `event_day`, the partition) and hook_rejects rows of a block."""
    stamp = provenance.columns()
    rows = parsed.kept.with_columns(*stamp, pl.col("event_at").dt.date().alias("event_day"))
    return (
        rows.select(*_EVENT_COLUMNS, *PROVENANCE_COLUMNS, "event_day"),
        parsed.rejects.with_columns(stamp),
    )


def stamp_files(
    parsed: ParsedBlock, names: list[str], batch_id: str, ingested_at: datetime, bits: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`bronze_rows` for the records of several files parsed together, whose positions are
    `file index << bits | position`: each row stamped with its own file (`names[index]`),
    and a `file_index` column added last."""
    shift = 1 << bits
    sources = {"old": range(len(names)), "new": names, "return_dtype": pl.String}
    split = [
        (pl.col("position") // shift).alias("file_index"),
        (pl.col("position") % shift).alias("position"),
    ]
    stamp = [
        pl.col("file_index").replace_strict(**sources).alias("source_file"),  # type: ignore[arg-type]
        pl.lit(batch_id).alias("batch_id"),
        pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    ]
    rows = parsed.kept.with_columns(*split, pl.col("event_at").dt.date().alias("event_day"))
    rows = rows.with_columns(stamp)
    rejects = parsed.rejects.with_columns(split).with_columns(stamp)
    return (
        rows.select(*_EVENT_COLUMNS, *PROVENANCE_COLUMNS, "event_day", "file_index"),
        rejects.select(*parsed.rejects.columns, *PROVENANCE_COLUMNS, "file_index"),
    )


def damage_reject(damage: Damage, offset: int = 0) -> pl.DataFrame:
    """The reject (REJECT_SCHEMA) that records a file's damage; `offset` added to its position."""
    data = {"position": [offset + damage.position], "raw": [damage.raw], "error": [damage.error]}
    return pl.DataFrame(data, schema=REJECT_SCHEMA)


def damage_rows(damage: Damage, provenance: Provenance) -> pl.DataFrame:
    """The hook_rejects row that records a file's damage."""
    return damage_reject(damage).with_columns(provenance.columns())


def empty_tables() -> dict[str, pl.DataFrame]:
    """Each bronze table with no rows: its schema, for readers of an empty data home."""
    nothing = Provenance("", "", datetime(1970, 1, 1, tzinfo=UTC))
    rows, rejects = bronze_rows(parse_records([], []), nothing)
    return {
        EVENTS: rows,
        REJECTS: rejects,
        MANIFEST: pl.DataFrame(schema=MANIFEST_SCHEMA),
        ERASURES: pl.DataFrame(schema=ERASURES_SCHEMA),
    }
