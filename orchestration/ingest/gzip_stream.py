"""A gzip file's decompressed bytes, handing over everything before any damage."""

from __future__ import annotations

import zlib
from pathlib import Path


class GzipStream:
    """Decompressed bytes of a gzip file that hands over everything before any damage.

    `gzip.open(...).read(n)` raises on a truncated or corrupt stream and drops what it had
    decompressed in that call; this returns it first and raises on the next read.
    Concatenated gzip members are read as one stream, as gzip(1) does.
    """

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self._inflater = zlib.decompressobj(wbits=31)
        self._pending = bytearray()
        self.error: BaseException | None = None
        """What ended the stream early, once a read met it (it is raised when that read's
        bytes have been handed over)."""
        self._done = False

    def __enter__(self) -> GzipStream:
        return self

    def __exit__(self, *_: object) -> None:
        self._file.close()

    def _inflate_more(self) -> None:
        compressed = self._file.read(1 << 20)
        try:
            if not compressed:
                if not self._inflater.eof:
                    raise EOFError("compressed file ended before the end-of-stream marker")
                self._done = True
                return
            self._pending += self._inflater.decompress(compressed)
            while self._inflater.eof and self._inflater.unused_data:
                rest = self._inflater.unused_data
                self._inflater = zlib.decompressobj(wbits=31)
                self._pending += self._inflater.decompress(rest)
        except (EOFError, zlib.error) as error:
            self.error = error

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._pending) < size) and not self._done and not self.error:
            self._inflate_more()
        if not self._pending and self.error is not None:
            raise self.error
        cut = len(self._pending) if size < 0 else min(size, len(self._pending))
        data = bytes(self._pending[:cut])
        del self._pending[:cut]
        return data
