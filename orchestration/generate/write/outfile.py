"""`OutFile`: one landing file being written, plain or gzip, through a reused buffer.

Records are streamed into per-file buffers, never held as a day-long list (fresh memory is
expensive; a reused buffer is not). gzip output carries mtime 0 and no file name.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from orchestration.generate.write.result import VALID

BUFFER_BYTES = 1 << 20


class OutFile:
    """One file being written: plain or gzip (mtime 0, no name), through a reused buffer.

    `rel`: its path relative to the output folder ("" for a spill file); `counts`: records by
    code (valid originals are counted in `valid`); `track`: with track=True, the end offset
    (uncompressed) and code of every record, to tell what survives a cut (`truncate`).
    """

    def __init__(self, path: Path, rel: str, gz: bool, level: int, track: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rel = rel
        self.handle = path.open("wb")
        self.z = zlib.compressobj(level, zlib.DEFLATED, 31) if gz else None
        self.buf = bytearray()
        self.raw = 0
        self.counts: dict[int, int] = {}
        self.valid = 0
        self.track: list[tuple[int, int]] | None = [] if track else None

    def add(self, data: bytes, sep: bytes, code: int) -> None:
        self.buf += data
        self.buf += sep
        self.raw += len(data) + len(sep)
        self.counts[code] = self.counts.get(code, 0) + 1
        if self.track is not None:
            self.track.append((self.raw, code))
        if len(self.buf) >= BUFFER_BYTES:
            self.flush()

    def add_valid(self, data: bytes) -> None:
        """add() for the common case: a valid original record on its own line."""
        buf = self.buf
        buf += data
        buf += b"\n"
        self.raw += len(data) + 1
        self.valid += 1
        if self.track is not None:
            self.track.append((self.raw, VALID))
        if len(buf) >= BUFFER_BYTES:
            self.flush()

    def raw_write(self, data: bytes) -> None:
        self.buf += data
        self.raw += len(data)

    def flush(self) -> None:
        if self.buf:
            self.handle.write(self.z.compress(self.buf) if self.z else self.buf)
            self.buf.clear()

    def close(self) -> None:
        self.flush()
        if self.z is not None:
            self.handle.write(self.z.flush())
        self.handle.close()
