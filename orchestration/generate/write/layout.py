"""Where the records go: streams per producer, one folder per dump day, file names.

Layout `mixed` (one folder per dump day, `YYYY-MM-DD/`), by producer:

| stream | files |
|---|---|
| kafka (account 23), partition 0 | `kafka-altcraft-hooks-p0-YYYYMMDD-NNN.ndjson.gz` (64 MB) |
| kafka (account 23), partition 1 | `kafka-altcraft-hooks-p1-YYYYMMDD-NNN.ndjson` (64 MB) |
| rmq (account 161) | `rmq-hookhouse-YYYYMMDDTHH.jsonl`, one per 6 hours |
| http (account 1042) | `http-batch-YYYYMMDDTHHMMSS-NNNN.json`, a quarter `.json.gz` |
| historical export (deleted profiles) | `history-export-YYYYMMDD.ndjson.gz` |

An HTTP batch is a JSON array of up to 2,000 events, closed after an hour; a batch of one is
sometimes sent as a bare object.

Re-delivered duplicates go to same-day files (`...-redelivered...`, `http-retry-...`); late
events and later-day duplicates into the folder of a later dump day, in lag/retry files named
after their source day (`...-lag-from-YYYYMMDD...`, `http-retry-from-YYYYMMDD-...`).

Layout `ndjson`: one plain `YYYY-MM-DD/hooks-YYYY-MM-DD.ndjson` per dump day; late records and
cross-day duplicates are appended to the later day's file at the end of the run (`SPILL_DIR`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

SPILL_DIR = ".hookhouse-spill"
"""ndjson layout: records for a later dump day wait here until the run ends."""
GZIP_LEVEL = {"kafka": 1, "http": 6, "history": 6}


@dataclass(frozen=True)
class StreamSpec:
    """One stream of files: `kind` is "ndjson" (a record per line) or "batch" (HTTP bodies)."""

    name: str
    kind: str
    producer: str
    gz: bool = False
    partition: int = 0


MIXED_STREAMS = (
    StreamSpec("kafka0", "ndjson", "kafka", gz=True, partition=0),
    StreamSpec("kafka1", "ndjson", "kafka", gz=False, partition=1),
    StreamSpec("rmq", "ndjson", "rmq"),
    StreamSpec("http", "batch", "http"),
    StreamSpec("history", "ndjson", "history", gz=True),
)
NDJSON_STREAMS = (StreamSpec("all", "ndjson", "all"),)


@dataclass
class WriterConfig:
    """The run's settings the writers need (the same in every worker).

    `truncate_day`: the day whose last kafka0 gzip file is cut short, -1 for none.
    """

    out_dir: Path
    layout: str
    seed: int
    start: date
    days: int
    duplicate_rate: float
    late_rate: float
    malformed_rate: float
    truncate_day: int = -1


@dataclass(frozen=True)
class DayPlace:
    """A dump day's folder, its names (`2026-10-01`, `20261001`) and its first instant."""

    folder: Path
    iso: str
    stamp: str
    day_t0: int


def day_folder(cfg: WriterConfig, day: int) -> tuple[Path, str, str]:
    """(folder, ISO date, YYYYMMDD) of dump day `day` (0 = the start date)."""
    d = cfg.start + timedelta(days=day)
    return cfg.out_dir / d.isoformat(), d.isoformat(), d.strftime("%Y%m%d")
