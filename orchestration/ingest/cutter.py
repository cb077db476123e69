"""The block cutter: a plain NDJSON file cut into ranges of whole lines for the workers.

The process that runs the ingest only finds where blocks end (and counts their lines, and
feeds the content hash); each worker reads its range itself (`LineRange.read`). As the
compressed reader does (`ndjson`), the cutter skips a byte-order mark that starts the file,
rejects a line longer than `limits.MAX_RECORD_BYTES` without a worker ever reading it, skips
ranges of blank lines, and ends a block after `limits.MAX_BLOCK_LINES` lines.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from io import FileIO
from pathlib import Path
from typing import NamedTuple

from orchestration.ingest import limits
from orchestration.ingest.blocks import BLOCK_BYTES, MAX_DAMAGE_RAW, LineRange, RejectedRecords
from orchestration.ingest.hashing import RunningHash, read_into
from orchestration.ingest.ndjson import BOM, newline_cuts, oversized

TAIL_BLOCKS = 4
"""A plain NDJSON file ends in blocks of a quarter of what is left, down to a quarter block:
the workers then finish together instead of one parsing a last whole block alone."""
PIECE_BYTES = 1024 * 1024
"""The cutter reads a block in pieces of this size."""

NEWLINE = ord("\n")
_TEXT = re.compile(rb"[^ \t\n\r\x0b\x0c]")
"""A byte that is not whitespace (as `bytes.isspace` and `bytes.strip` mean it)."""


class _Cut(NamedTuple):
    """Where a block ends, how many newlines it holds, and what it is."""

    end: int
    newlines: int
    blank: bool = False
    """Only whitespace: no record, no range."""
    long: bool = False
    """One line longer than the block was to be."""


def line_ranges(
    path: Path, running: RunningHash | None = None
) -> Iterator[LineRange | RejectedRecords]:
    """Cut a plain NDJSON file into ranges of whole lines, counting lines on the way (and
    feeding `running` every byte); a line longer than MAX_RECORD_BYTES is rejected instead.

    The file is read once, a piece at a time into one reused buffer: memory does not grow
    with the file, each piece is counted (and hashed) while it is in the CPU cache, and a
    file that shrinks meanwhile ends early instead of faulting (as a memory map of it would,
    with SIGBUS). A block is no longer than MAX_RECORD_BYTES, so a line beyond it is always
    one that finds no newline in its block.
    """
    limit, most = limits.MAX_RECORD_BYTES, limits.MAX_BLOCK_LINES
    buffer = bytearray(PIECE_BYTES)
    with path.open("rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        start, line = _after_bom(handle, buffer, running), 1
        while start < size:
            block = max(1, min(_block_bytes(size - start), limit))
            cut = _cut(handle, buffer, start, start + block, size, running, most)
            if cut.end == start:
                return  # The file is shorter than it was.
            if cut.long and (length := cut.end - start - cut.newlines) > limit:
                head = os.pread(handle.fileno(), min(length, MAX_DAMAGE_RAW), start)
                yield oversized(line, head, length)
            elif not cut.blank:
                yield LineRange(path, start, cut.end, line)
            line += cut.newlines
            start = cut.end


def _after_bom(handle: FileIO, buffer: bytearray, running: RunningHash | None) -> int:
    """Where the file's first line starts: after a byte-order mark (hashed all the same)."""
    got = read_into(handle, buffer, len(BOM))
    if running is not None and got:
        running.feed(0, buffer, got)
    return len(BOM) if buffer[:got] == BOM else 0


def _cut(
    handle: FileIO, buffer: bytearray, start: int, end: int, size: int,
    running: RunningHash | None, most: int,
) -> _Cut:  # fmt: skip
    """Where the block from `start` ends, and how many newlines it holds.

    It ends after its last newline before `end`, or after its `most`-th newline (blank lines
    aside: a run of them is one blank block however long); a line longer than a block
    extends it to that line's end; the block that reaches the end of the file takes the rest.
    """
    handle.seek(start)
    position, newlines, last = start, 0, -1
    text = size  # Where the block's first byte that is not whitespace is, once one is read.
    while position < end:
        got = read_into(handle, buffer, min(len(buffer), end - position))
        if not got:
            return _Cut(position, newlines, text >= position)  # The file is shorter than it was.
        if running is not None:
            running.feed(position, buffer, got)
        if text == size:  # One step for a real block: its first byte is a record's.
            text = _first_text(buffer, got, position, size)
        if count := _newlines(buffer, got):
            if newlines + count > most and text < size:
                if newlines >= most:  # Blank lines up to this piece: a blank block.
                    return _Cut(last + 1, newlines, blank=True)
                with memoryview(buffer) as view, view[:got] as piece:
                    cut = position + newline_cuts(piece, most - newlines)[0]
                return _Cut(cut, most, text >= cut)
            newlines += count
            last = position + buffer.rfind(b"\n", 0, got)
        position += got
    if end >= size:
        return _Cut(position, newlines, text >= position)
    if last >= 0:
        return _Cut(last + 1, newlines, text > last)
    while got := read_into(handle, buffer, len(buffer)):  # A line longer than a block.
        if running is not None:
            running.feed(position, buffer, got)
        if (first := buffer.find(b"\n", 0, got)) >= 0:
            return _Cut(position + first + 1, 1, long=True)
        position += got
    return _Cut(position, 0, long=True)


def _first_text(buffer: bytearray, got: int, position: int, none: int) -> int:
    """Where the first byte of the piece that is not whitespace is (`none` if there is none)."""
    if (buffer if got == len(buffer) else buffer[:got]).isspace():
        return none
    found = _TEXT.search(buffer, 0, got)
    return none if found is None else position + found.start()


def _block_bytes(left: int) -> int:
    """The size of the next block when `left` bytes of the file remain."""
    return min(BLOCK_BYTES, max(BLOCK_BYTES // TAIL_BLOCKS, left // TAIL_BLOCKS))


def _newlines(buffer: bytearray, count: int) -> int:
    """How many newlines the first `count` bytes of `buffer` hold (numpy counts about 2x
    faster than bytes.count).

    numpy is imported here, not with the module: only the process that cuts ranges counts,
    and the parse workers, which import this module, start faster without it.
    """
    import numpy as np

    return int(np.count_nonzero(np.frombuffer(buffer, dtype=np.uint8, count=count) == NEWLINE))
