"""A gzip file's decompressed bytes, in bounded pieces: everything before a damage is handed
over, and the stream stops where the file passes the limits of `limits`."""

from __future__ import annotations

import zlib
from pathlib import Path

from orchestration.ingest import limits

INPUT_BYTES = 1 << 20
"""Compressed bytes read from the file at a time."""
OUTPUT_BYTES = 16 * 1024 * 1024
"""At most this much is decompressed in one call, whatever the caller asks for: a 1 MB bomb
never becomes a gigabyte in memory, and the limits are checked at least this often."""
CHECKSUM_ERRORS = ("incorrect data check", "incorrect length check")
"""How zlib says a member's trailer (its CRC-32, its size) does not match what it decoded."""
SALVAGE_SPLIT = 16
"""A failed call is replayed in pieces this many times smaller, then the failing piece again,
down to single bytes (see `_salvage`)."""


class DecompressionLimitError(OSError):
    """The file decompresses past a limit of `limits`; the bytes before it were handed over.

    An OSError, so that every reader's READ_ERRORS takes it as the end of what can be read.
    """


class GzipStream:
    """Decompressed bytes of a gzip file, handing over everything before any damage.

    `gzip.open(...).read(n)` raises on a truncated or corrupt stream and drops what it had
    decompressed in that call; this returns it first and raises on the next read. Every
    whole byte zlib decodes before the damage is handed over, not only the pieces before the
    piece that holds it. Concatenated gzip members are read as one stream, as gzip(1) does.
    No call decompresses more than OUTPUT_BYTES, and the stream ends in a
    `DecompressionLimitError` past MAX_FILE_DECOMPRESSED_BYTES, or once it has expanded more
    than COMPRESSION_RATIO_LIMIT times after RATIO_CHECK_BYTES (limits read when it opens).
    """

    def __init__(self, path: Path) -> None:
        self._file = path.open("rb")
        self._inflater = zlib.decompressobj(wbits=31)
        self._input = b""
        """Compressed bytes read and not inflated yet."""
        self._compressed = 0
        """How many compressed bytes were read from the file."""
        self._output_full = False
        """The last call stopped because its output was full: zlib may hold more output."""
        self._member_start = 0
        """Where the current gzip member's decompressed bytes start."""
        self.decompressed = 0
        """How many decompressed bytes were handed over so far."""
        self.error: BaseException | None = None
        """What ended the stream early, once a read met it (it is raised when that read's
        bytes have been handed over)."""
        self._done = False
        self._max_bytes = limits.MAX_FILE_DECOMPRESSED_BYTES
        self._ratio = limits.COMPRESSION_RATIO_LIMIT
        self._ratio_from = limits.RATIO_CHECK_BYTES

    def __enter__(self) -> GzipStream:
        return self

    def __exit__(self, *_: object) -> None:
        self._file.close()

    def read(self, size: int = -1) -> bytes:
        """Up to `size` decompressed bytes (all that is left for a negative size), fewer only
        at the end of the stream or before a damage; b"" at the end. Once the bytes before a
        damage or a limit have been handed over, the next read raises it."""
        want = size if size >= 0 else 1 << 62
        parts: list[bytes] = []
        got = 0
        while got < want and not self._done and self.error is None:
            if piece := self._inflate(min(want - got, OUTPUT_BYTES)):
                parts.append(piece)
                got += len(piece)
        if not parts and self.error is not None and size != 0:
            raise self.error
        return parts[0] if len(parts) == 1 else b"".join(parts)

    @property
    def _consumed(self) -> int:
        """How many compressed bytes have been inflated."""
        return self._compressed - len(self._input)

    def _refill(self) -> bool:
        """Have compressed bytes to inflate (or output zlib still holds); False at the end."""
        data = self._file.read(INPUT_BYTES)
        if data:
            if self._inflater.eof:  # A member ended where the last read ended: the next one.
                self._inflater = zlib.decompressobj(wbits=31)
                self._member_start = self.decompressed
            self._compressed += len(data)
            self._input = data
            return True
        if self._output_full and not self._inflater.eof:
            return True  # Inflate what zlib holds, with no more input.
        if self._inflater.eof:
            self._done = True
        else:
            self.error = EOFError(
                f"compressed file ended before the end-of-stream marker, at byte "
                f"{self._compressed:,} ({self.decompressed:,} bytes decompressed)"
            )
        return False

    def _inflate(self, want: int) -> bytes:
        """Up to `want` more decompressed bytes (maybe none yet), noting an error or a limit."""
        if not self._input and not self._refill():
            return b""
        cap = min(want, self._max_bytes + 1 - self.decompressed)
        saved = self._inflater.copy()
        try:
            out = self._inflater.decompress(self._input, cap)
        except zlib.error as error:
            out, at = _salvage(saved, self._input)
            where = self._consumed + at
            self._input = b""
            self.decompressed += len(out)
            self.error = zlib.error(
                f"{error}, at byte {where:,} of the compressed file "
                f"({self.decompressed:,} bytes decompressed)" + self._check_failed(error)
            )
            return out
        self._output_full = len(out) == cap
        if self._inflater.eof:
            self._input = self._inflater.unused_data
            if self._input:  # Another member follows in the same read.
                self._inflater = zlib.decompressobj(wbits=31)
                self._output_full = False
                self._member_start = self.decompressed + len(out)
        else:
            self._input = self._inflater.unconsumed_tail
        self.decompressed += len(out)
        return self._within_limits(out)

    def _check_failed(self, error: zlib.error) -> str:
        """What a failed checksum means: deflate data has no check of its own, so damage inside
        a member decodes as other bytes until the member's end, where its CRC-32 and size
        are checked. The lines decoded since the member started may have been altered."""
        if not any(check in str(error) for check in CHECKSUM_ERRORS):
            return ""
        return (
            "; the member's checksum does not match, so the bytes decoded since the member "
            f"began (decompressed byte {self._member_start:,}) may differ from those written"
        )

    def _within_limits(self, out: bytes) -> bytes:
        """`out`, cut where the file passes MAX_FILE_DECOMPRESSED_BYTES; the error noted when
        it does, or when it expands more than COMPRESSION_RATIO_LIMIT times."""
        if self.decompressed > self._max_bytes:
            out = out[: len(out) - (self.decompressed - self._max_bytes)]
            self.decompressed = self._max_bytes
            self.error = DecompressionLimitError(
                f"the file decompresses to more than {self._max_bytes:,} bytes "
                f"(MAX_FILE_DECOMPRESSED_BYTES); read up to byte {self._consumed:,} of "
                "the compressed file"
            )
        elif self.decompressed > self._ratio_from and (
            self.decompressed > self._ratio * self._consumed
        ):
            self.error = DecompressionLimitError(
                f"the file expands more than {self._ratio:,} times "
                f"(COMPRESSION_RATIO_LIMIT), as a decompression bomb does: "
                f"{self.decompressed:,} bytes from its first {self._consumed:,}"
            )
        return out


def _salvage(inflater: zlib._Decompress, data: bytes) -> tuple[bytes, int]:
    """What `inflater` decodes of `data` before the damage in it, and where in `data` zlib
    found the damage.

    zlib drops the output of a call that fails, so `data` is inflated again from the state
    before it: in pieces, each from a copy of the state before it, then the piece that fails
    in smaller pieces, down to the single byte that fails. Only what that byte completes is
    lost. (About a hundred short calls, once per damaged file.)
    """
    held = inflater.copy()
    try:
        parts = [held.decompress(b"")]  # What zlib held from before `data`.
    except zlib.error:
        return b"", 0
    inflater = held
    begin, end = 0, len(data)
    while end - begin > 1:
        step = max(1, (end - begin) // SALVAGE_SPLIT)
        for piece in range(begin, end, step):
            trial = inflater.copy()
            try:
                parts.append(trial.decompress(data[piece : min(piece + step, end)]))
            except zlib.error:
                begin, end = piece, min(piece + step, end)
                break
            inflater = trial
        else:
            return b"".join(parts), end
    return b"".join(parts), begin
