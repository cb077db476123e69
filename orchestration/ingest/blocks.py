"""What the readers yield: blocks of raw records, and the damage that ends a file.

A reader yields blocks of raw records with their 1-based positions (line numbers for
NDJSON, element indexes for a JSON array), `RejectedRecords` for records it rejects itself
(too large to hand over), and a `Damage` for what it cannot read: a truncated `.gz`, a JSON
batch cut mid-element, text between JSON values. Everything before a damage is yielded
first, so it is kept; a reader that can resume after it does.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

from orchestration.ingest import limits

BLOCK_BYTES = 16 * 1024 * 1024
"""NDJSON is read and parsed in blocks of about this many bytes of whole lines."""
MAX_DAMAGE_RAW = 64 * 1024
"""How much of the unreadable remainder a file-damage rejection keeps as its raw text."""

READ_ERRORS = (EOFError, OSError, zlib.error, UnicodeDecodeError)
"""What reading a landing file raises when the file is damaged or goes away."""


@dataclass(frozen=True)
class LineBlock:
    """Whole NDJSON lines; the first one is line `first_line` of the file."""

    first_line: int
    data: bytes


@dataclass(frozen=True)
class ElementBlock:
    """Raw JSON records with their positions (element index, or 1 for a single object)."""

    positions: list[int]
    raws: list[bytes]


@dataclass(frozen=True)
class LineRange:
    """Whole lines of an uncompressed NDJSON file: bytes [start, end), starting at `first_line`.

    Workers read ranges themselves, so a large dump never travels between processes.
    """

    path: Path
    start: int
    end: int
    first_line: int

    def read(self) -> LineBlock:
        with self.path.open("rb") as handle:
            handle.seek(self.start)
            return LineBlock(self.first_line, handle.read(self.end - self.start))


@dataclass(frozen=True)
class RejectedRecords:
    """Records the reader rejected itself (above MAX_RECORD_BYTES, so never handed over whole):
    their positions, the start of their text (`clip`ped) and why (`too_large`)."""

    positions: list[int]
    raws: list[str]
    errors: list[str]


@dataclass(frozen=True)
class Damage:
    """Text at `position` that is no record could not be read; recorded as a rejection of the
    file, with `raw` its start and `error` why and how many bytes were skipped."""

    position: int
    raw: str
    error: str


Block = LineBlock | ElementBlock | LineRange | RejectedRecords | Damage


def clip(text: str, length: int | None = None) -> str:
    """Unreadable or oversized text as a rejection keeps it: at most MAX_DAMAGE_RAW characters,
    then how many more there were. `length`: the whole text's, when `text` is only its start."""
    length = len(text) if length is None else length
    if length <= MAX_DAMAGE_RAW:
        return text
    return text[:MAX_DAMAGE_RAW] + f"... [{length - MAX_DAMAGE_RAW} more characters]"


def too_large(size: int) -> str:
    """The reason a record of `size` bytes above MAX_RECORD_BYTES is rejected with."""
    limit = limits.MAX_RECORD_BYTES
    return f"record_too_large: {size:,} bytes, above MAX_RECORD_BYTES ({limit:,} bytes)"


def describe(error: BaseException) -> str:
    """A read error as a rejection's reason names it."""
    if isinstance(error, EOFError | zlib.error):
        return f"damaged gzip stream ({error})"
    return f"{type(error).__name__}: {error}"
