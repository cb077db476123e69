"""A landing file's content hash: what tells ingest whether its bytes are in bronze already."""

from __future__ import annotations

from io import FileIO
from pathlib import Path

from xxhash import xxh3_128

HASH_BYTES = 8 * 1024 * 1024
"""A file is hashed this much at a time."""


class RunningHash:
    """A file's content hash, fed its bytes as they are read: by `content_hash`, or by the
    cutter while it finds a plain NDJSON file's line ranges.

    The cutter reads some bytes twice (a block ends at its last newline, and the next block
    starts there), so the hash takes each byte once, in file order.
    """

    def __init__(self) -> None:
        self._digest = xxh3_128()
        self._upto = 0

    def feed(self, offset: int, buffer: bytearray, count: int) -> None:
        """The `count` bytes at the start of `buffer` were read from `offset`."""
        if offset > self._upto:
            raise ValueError(f"bytes {self._upto} to {offset} were never read")
        if (skip := self._upto - offset) < count:
            with memoryview(buffer) as view, view[skip:count] as part:
                self._digest.update(part)
            self._upto = offset + count

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def read_into(handle: FileIO, buffer: bytearray, size: int) -> int:
    """Read up to `size` bytes into the start of `buffer`; how many came."""
    with memoryview(buffer) as view, view[:size] as window:
        return handle.readinto(window) or 0


def content_hash(path: Path) -> str:
    """A 128-bit hash of the file's bytes as stored (compressed, for `.gz`).

    Read into one buffer, reused: no memory is allocated per read. (A mapping would save the
    copy, but kills the process with SIGBUS if the file shrinks while it is hashed.)
    """
    running = RunningHash()
    buffer = bytearray(HASH_BYTES)
    offset = 0
    with path.open("rb", buffering=0) as handle:
        while size := read_into(handle, buffer, HASH_BYTES):
            running.feed(offset, buffer, size)
            offset += size
    return running.hexdigest()
