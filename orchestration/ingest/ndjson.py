"""The NDJSON reader for a compressed file: its decompressed stream in blocks of whole lines.

(A plain NDJSON file is cut into line ranges instead, by `cutter`.) What both share is here:
a UTF-8 byte-order mark that starts the file is skipped (Windows tools write one); a line
longer than `limits.MAX_RECORD_BYTES` is read past in bounded pieces and rejected
(`oversized`); lines that are all blank give no block; and no block hands the parser more
than `limits.MAX_BLOCK_LINES` lines (`line_blocks`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from orchestration.ingest import limits
from orchestration.ingest.blocks import (
    BLOCK_BYTES,
    MAX_DAMAGE_RAW,
    READ_ERRORS,
    Block,
    Damage,
    LineBlock,
    RejectedRecords,
    clip,
    describe,
    too_large,
)
from orchestration.ingest.gzip_stream import DecompressionLimitError, GzipStream

BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark."""
NEWLINE_WINDOW = 1 << 20
"""`newline_cuts` finds newlines this many bytes at a time (an index array of 8 MB at most)."""


def oversized(line: int, head: bytes, size: int) -> RejectedRecords:
    """The rejection of line `line`, `size` bytes long (before its newline), whose first bytes
    are `head`: its raw text keeps MAX_DAMAGE_RAW of them."""
    text = head[:MAX_DAMAGE_RAW].decode("utf-8", errors="replace")
    return RejectedRecords([line], [clip(text, max(size, len(text)))], [too_large(size)])


@dataclass
class _LongLine:
    """A line longer than MAX_RECORD_BYTES, being read past: its first bytes, its size so far."""

    head: bytes = b""
    size: int = 0

    def add(self, part: bytes | memoryview) -> None:
        """The line goes on with `part`: counted, and kept while the head is short."""
        self.size += len(part)
        if len(self.head) < MAX_DAMAGE_RAW:
            self.head += bytes(part[: MAX_DAMAGE_RAW - len(self.head)])


def ndjson_blocks(stream: BinaryIO | GzipStream) -> Iterator[Block]:
    """Blocks of whole lines (and the rejections of lines too long), then a `Damage` if the
    stream breaks before its end.

    Reads are no longer than MAX_RECORD_BYTES, so a line beyond it never ends inside one read:
    only the line carried over from the reads before can be one, and it is checked once per
    read. Memory stays a few reads whatever the stream holds.
    """
    limit = limits.MAX_RECORD_BYTES
    size = max(1, min(BLOCK_BYTES, limit))
    line, pending, first_read = 1, b"", True
    long: _LongLine | None = None
    while True:
        try:
            chunk = stream.read(size)
        except READ_ERRORS as error:
            if long is not None:
                yield _damage(line, long.head, error, long.size)
            else:
                yield _damage(line, pending, error, len(pending))
            return
        if first_read:
            first_read = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
                if not chunk:
                    continue
        if not chunk:
            if long is not None:
                yield oversized(line, long.head, long.size)
            elif pending and not pending.isspace():
                yield LineBlock(line, pending)
            return
        if long is not None:  # Read past the long line to its end.
            end = chunk.find(b"\n")
            long.add(chunk if end < 0 else memoryview(chunk)[:end])
            if end < 0:
                continue
            yield oversized(line, long.head, long.size)
            line, long, chunk = line + 1, None, chunk[end + 1 :]
        cut = chunk.rfind(b"\n")
        if cut < 0:
            pending += chunk
            if len(pending) > limit:
                long = _LongLine()
                long.add(pending)
                pending = b""
            continue
        begin = 0
        if len(pending) + cut > limit and (end := chunk.find(b"\n")) + len(pending) > limit:
            head = pending[:MAX_DAMAGE_RAW] + chunk[: min(end, MAX_DAMAGE_RAW)]
            yield oversized(line, head, len(pending) + end)
            line, begin, pending = line + 1, end + 1, b""
        if pending or begin or cut + 1 < len(chunk):
            whole = b"".join((pending, memoryview(chunk)[begin : cut + 1]))
        else:
            whole = chunk  # The read ends a line: no copy.
        pending = chunk[cut + 1 :]
        newlines = whole.count(b"\n")
        yield from line_blocks(line, whole, newlines)
        line += newlines


def _damage(line: int, head: bytes, error: BaseException, size: int) -> Damage:
    """The damage that ends a stream inside line `line`, `size` bytes read of it, the first
    of them `head`."""
    text = head[:MAX_DAMAGE_RAW].decode("utf-8", errors="replace")
    raw = clip(text, max(size, len(text)))
    if isinstance(error, DecompressionLimitError):
        reason = f"file not read from line {line} on: {error}"
    else:
        reason = f"file unreadable from line {line} on: {describe(error)}"
    return Damage(line, raw, f"{reason}; the {line - 1} lines before it were read")


def line_blocks(first_line: int, data: bytes, newlines: int) -> Iterator[LineBlock]:
    """Whole lines (`newlines` of them, the first being line `first_line`) as blocks for the
    parser: none for blank lines only, and a block per MAX_BLOCK_LINES lines when there are
    more (16 MiB of short lines would be millions of records in one block)."""
    if not data or data.isspace():  # Stops at a record's first byte: free for a real block.
        return
    most = limits.MAX_BLOCK_LINES
    if newlines <= most:
        yield LineBlock(first_line, data)
        return
    start = 0
    for end in [*newline_cuts(data, most), len(data)]:
        if end > start and not (part := data[start:end]).isspace():
            yield LineBlock(first_line, part)
        first_line, start = first_line + most, end


def newline_cuts(data: bytes | memoryview, every: int) -> list[int]:
    """The offsets just after every `every`-th newline of `data` (numpy, a window at a time)."""
    import numpy as np

    view = np.frombuffer(data, dtype=np.uint8)
    cuts: list[int] = []
    seen = 0
    for start in range(0, len(view), NEWLINE_WINDOW):
        found = np.flatnonzero(view[start : start + NEWLINE_WINDOW] == ord("\n"))
        first = (every - 1 - seen) % every
        cuts += (found[first::every] + (start + 1)).tolist()
        seen += len(found)
    return cuts
