"""The block cutter: a plain NDJSON file cut into ranges of whole lines for the workers.

The process that runs the ingest only finds where blocks end (and counts their lines, and
feeds the content hash); each worker reads its range itself (`LineRange.read`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from io import FileIO
from pathlib import Path

from orchestration.ingest.blocks import BLOCK_BYTES, LineRange
from orchestration.ingest.hashing import RunningHash, read_into

TAIL_BLOCKS = 4
"""A plain NDJSON file ends in blocks of a quarter of what is left, down to a quarter block:
the workers then finish together instead of one parsing a last whole block alone."""
PIECE_BYTES = 1024 * 1024
"""The cutter reads a block in pieces of this size."""

NEWLINE = ord("\n")


def line_ranges(path: Path, running: RunningHash | None = None) -> Iterator[LineRange]:
    """Cut a plain NDJSON file into ranges of whole lines, counting lines on the way (and
    feeding `running` every byte).

    The file is read once, a piece at a time into one reused buffer: memory does not grow
    with the file, each piece is counted (and hashed) while it is in the CPU cache, and a
    file that shrinks meanwhile ends early instead of faulting (as a memory map of it would,
    with SIGBUS).
    """
    buffer = bytearray(PIECE_BYTES)
    with path.open("rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        start, line = 0, 1
        while start < size:
            end, newlines = _cut(
                handle, buffer, start, start + _block_bytes(size - start), size, running
            )
            if end == start:
                return  # The file is shorter than it was.
            yield LineRange(path, start, end, line)
            line += newlines
            start = end


def _cut(
    handle: FileIO, buffer: bytearray, start: int, end: int, size: int,
    running: RunningHash | None,
) -> tuple[int, int]:  # fmt: skip
    """Where the block from `start` ends, and how many newlines it holds.

    It ends after its last newline before `end`; a line longer than a block extends it to
    that line's end; the block that reaches the end of the file takes the rest.
    """
    handle.seek(start)
    position, newlines, last = start, 0, -1
    while position < end:
        got = read_into(handle, buffer, min(len(buffer), end - position))
        if not got:
            return position, newlines  # The file is shorter than it was.
        if running is not None:
            running.feed(position, buffer, got)
        if count := _newlines(buffer, got):
            newlines += count
            last = position + buffer.rfind(b"\n", 0, got)
        position += got
    if end >= size:
        return position, newlines
    if last >= 0:
        return last + 1, newlines
    while got := read_into(handle, buffer, len(buffer)):  # A line longer than a block.
        if running is not None:
            running.feed(position, buffer, got)
        if (first := buffer.find(b"\n", 0, got)) >= 0:
            return position + first + 1, 1
        position += got
    return position, 0


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
