"""Stream the records of one landing file, in bounded memory.

A reader yields blocks of raw records with their 1-based positions (line numbers for
NDJSON, element indexes for a JSON array), and at most one `Damage` when the file cannot
be read to its end (a truncated `.gz`, a JSON batch cut mid-element). Everything before
the damage is yielded first, so it is kept.
"""

from __future__ import annotations

import io
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import orjson
from xxhash import xxh3_128

from orchestration.ingest.discover import Format, LandingFile

BLOCK_BYTES = 16 * 1024 * 1024
"""NDJSON is read and parsed in blocks of about this many bytes of whole lines."""
TAIL_BLOCKS = 4
"""A plain NDJSON file ends in blocks of a quarter of what is left, down to a quarter block:
the workers then finish together instead of one parsing a last whole block alone."""
ELEMENTS_PER_BLOCK = 20_000
WHOLE_JSON_LIMIT = 64 * 1024 * 1024
"""A JSON batch up to this size is parsed in one call; a larger one is scanned element-wise."""
MAX_DAMAGE_RAW = 64 * 1024
"""How much of the unreadable remainder a file-damage rejection keeps as its raw text."""

NEWLINE = ord("\n")
_READ_ERRORS = (EOFError, OSError, zlib.error, UnicodeDecodeError)


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
class Damage:
    """The file could not be read past `position`; recorded as a rejection of the file."""

    position: int
    raw: str
    error: str


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


Block = LineBlock | ElementBlock | LineRange | Damage


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
        self._error: BaseException | None = None
        self._done = False

    def __enter__(self) -> GzipStream:
        return self

    def __exit__(self, *_: object) -> None:
        self._file.close()

    def close(self) -> None:
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
            self._error = error

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self._pending) < size) and not self._done and not self._error:
            self._inflate_more()
        if not self._pending and self._error is not None:
            raise self._error
        cut = len(self._pending) if size < 0 else min(size, len(self._pending))
        data = bytes(self._pending[:cut])
        del self._pending[:cut]
        return data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def open_binary(landing_file: LandingFile) -> BinaryIO | GzipStream:
    """The file's decompressed bytes."""
    if landing_file.gzipped:
        return GzipStream(landing_file.path)
    return landing_file.path.open("rb")


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


def content_hash(path: Path) -> str:
    """A 128-bit hash of the file's bytes as stored (compressed, for `.gz`).

    Read into one buffer, reused: no memory is allocated per read. (A mapping would save the
    copy, but kills the process with SIGBUS if the file shrinks while it is hashed.)
    """
    running = RunningHash()
    buffer = bytearray(HASH_BYTES)
    offset = 0
    with path.open("rb", buffering=0) as handle:
        while size := _read(handle, buffer, HASH_BYTES):
            running.feed(offset, buffer, size)
            offset += size
    return running.hexdigest()


def hashes_while_reading(landing_file: LandingFile) -> bool:
    """Whether `read_blocks` can compute the file's content hash as it reads (plain NDJSON:
    the cutter reads every byte as stored)."""
    return landing_file.format is Format.NDJSON and not landing_file.gzipped


def read_blocks(landing_file: LandingFile, running: RunningHash | None = None) -> Iterator[Block]:
    """All records of a landing file, block by block; `running`, for a file that
    `hashes_while_reading`, is fed every byte of it."""
    if hashes_while_reading(landing_file):
        yield from _line_ranges(landing_file.path, running)
        return
    if running is not None:
        raise ValueError(f"{landing_file.relative} cannot be hashed while it is read")
    with open_binary(landing_file) as stream:
        if landing_file.format is Format.NDJSON:
            yield from _ndjson_blocks(stream)
        else:
            yield from _json_blocks(stream)


def _clip(text: str) -> str:
    if len(text) <= MAX_DAMAGE_RAW:
        return text
    return text[:MAX_DAMAGE_RAW] + f"... [{len(text) - MAX_DAMAGE_RAW} more characters]"


def _describe(error: BaseException) -> str:
    if isinstance(error, EOFError | zlib.error):
        return f"damaged gzip stream ({error})"
    return f"{type(error).__name__}: {error}"


def _ndjson_blocks(stream: BinaryIO | GzipStream) -> Iterator[Block]:
    line = 1
    pending = b""
    while True:
        try:
            chunk = stream.read(BLOCK_BYTES)
        except _READ_ERRORS as error:
            yield Damage(
                position=line,
                raw=_clip(pending.decode("utf-8", errors="replace")),
                error=f"file unreadable from line {line} on: {_describe(error)}; "
                f"the {line - 1} lines before it were read",
            )
            return
        if not chunk:
            if pending:
                yield LineBlock(line, pending)
            return
        data = pending + chunk
        cut = data.rfind(b"\n")
        if cut < 0:
            pending = data
            continue
        whole, pending = data[: cut + 1], data[cut + 1 :]
        yield LineBlock(line, whole)
        line += whole.count(b"\n")


def _line_ranges(path: Path, running: RunningHash | None = None) -> Iterator[LineRange]:
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


PIECE_BYTES = 1024 * 1024
"""The cutter reads a block in pieces of this size."""


def _cut(
    handle: BinaryIO, buffer: bytearray, start: int, end: int, size: int,
    running: RunningHash | None = None,
) -> tuple[int, int]:  # fmt: skip
    """Where the block from `start` ends, and how many newlines it holds.

    It ends after its last newline before `end`; a line longer than a block extends it to
    that line's end; the block that reaches the end of the file takes the rest.
    """
    handle.seek(start)
    position, newlines, last = start, 0, -1
    while position < end:
        got = _read(handle, buffer, min(len(buffer), end - position))
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
    while got := _read(handle, buffer, len(buffer)):  # A line longer than a block.
        if running is not None:
            running.feed(position, buffer, got)
        if (first := buffer.find(b"\n", 0, got)) >= 0:
            return position + first + 1, 1
        position += got
    return position, 0


def _read(handle: BinaryIO, buffer: bytearray, size: int) -> int:
    """Read up to `size` bytes into the start of `buffer`; how many came."""
    with memoryview(buffer) as view, view[:size] as window:
        return handle.readinto(window) or 0


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


def _json_blocks(stream: BinaryIO | GzipStream) -> Iterator[Block]:
    head = b""
    try:
        while len(head) <= WHOLE_JSON_LIMIT and (more := stream.read(WHOLE_JSON_LIMIT + 1)):
            head += more
    except _READ_ERRORS:
        pass  # Salvage what was read: the scanner meets the damage again and reports it.
    if len(head) <= WHOLE_JSON_LIMIT and not getattr(stream, "_error", None):
        try:
            value = orjson.loads(head)
        except orjson.JSONDecodeError:
            pass  # Salvage what parses, element by element, below.
        else:
            yield from _whole_value_blocks(value, head)
            return
    yield from _scan_array(_Prefixed(head, stream))


def _whole_value_blocks(value: object, text: bytes) -> Iterator[Block]:
    if isinstance(value, dict):
        yield ElementBlock([1], [text.strip()])
    elif isinstance(value, list):
        for start in range(0, len(value), ELEMENTS_PER_BLOCK):
            part = value[start : start + ELEMENTS_PER_BLOCK]
            yield ElementBlock(
                list(range(start + 1, start + 1 + len(part))), [orjson.dumps(e) for e in part]
            )
    else:
        yield Damage(
            1,
            _clip(text.decode("utf-8", errors="replace")),
            f"top level is a JSON {type(value).__name__}, not an array or an object",
        )


class _Prefixed(io.RawIOBase):
    """Bytes already read, then the rest of the stream; a read error ends it like an EOF.

    The error is kept in `error`: text decoders above would drop what they had buffered
    if it were raised through them.
    """

    def __init__(self, head: bytes, rest: BinaryIO | GzipStream) -> None:
        self._head = memoryview(head)
        self._rest = rest
        self.error: BaseException | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        if self.error is not None:
            return 0
        try:
            data = self._rest.read(len(buffer))
        except _READ_ERRORS as error:
            self.error = error
            return 0
        buffer[: len(data)] = data
        return len(data)


class _ArrayScanner:
    """Walks a JSON array on a sliding text window; json.JSONDecoder finds each element's end."""

    def __init__(self, stream: io.BufferedReader) -> None:
        self._text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape")
        self._decoder = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False

    def fill(self, at_least: int = 1 << 20) -> None:
        """Make at least `at_least` characters available after `pos`, unless the stream ends."""
        while not self.eof and len(self.buf) - self.pos < at_least:
            chunk = self._text.read(max(at_least, 1 << 20))
            if not chunk:
                self.eof = True
            self.buf = self.buf[self.pos :] + chunk
            self.pos = 0

    def skip_space(self) -> str:
        """The next non-space character ('' at the end of the file)."""
        while True:
            self.fill()
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""

    def element(self) -> str:
        """The raw text of the value at `pos`; raises ValueError when it does not parse."""
        want = 1 << 20
        while True:
            self.fill(want)
            try:
                _, end = self._decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self.eof:
                    raise
                want *= 4  # The element may run past the window: widen it.
                continue
            if end >= len(self.buf) and not self.eof:
                want *= 4  # A number cut at the window's edge would parse short.
                continue
            raw = self.buf[self.pos : end]
            self.pos = end
            return raw

    def rest(self) -> str:
        self.fill(MAX_DAMAGE_RAW + 1)
        return self.buf[self.pos :]


def _scan_array(source: _Prefixed) -> Iterator[Block]:
    scanner = _ArrayScanner(io.BufferedReader(source))
    positions: list[int] = []
    raws: list[bytes] = []
    index = 0

    def damage(error: str) -> Damage:
        rest = _clip(scanner.rest())
        if source.error is not None:
            error = f"{error}; the file is damaged: {_describe(source.error)}"
        return Damage(index + 1, rest, error)

    try:
        first = scanner.skip_space()
        if first == "":
            yield Damage(1, "", "file is empty: no JSON value")
            return
        if first == "{":
            try:
                raw = scanner.element()
            except ValueError as error:
                yield damage(f"not valid JSON: {error}")
                return
            yield ElementBlock([1], [raw.encode("utf-8", errors="surrogateescape")])
            return
        if first != "[":
            yield damage("top level is not a JSON array or an object")
            return
        scanner.pos += 1
        closed = False
        while True:
            nxt = scanner.skip_space()
            if nxt == "]" and index == 0:
                scanner.pos += 1
                closed = True
                break
            try:
                raw = scanner.element()
            except ValueError as error:
                yield from _flush(positions, raws)
                yield damage(f"element {index + 1} is not valid JSON ({error}); the rest is lost")
                return
            index += 1
            positions.append(index)
            raws.append(raw.encode("utf-8", errors="surrogateescape"))
            if len(raws) >= ELEMENTS_PER_BLOCK:
                yield from _flush(positions, raws)
            nxt = scanner.skip_space()
            if nxt == ",":
                scanner.pos += 1
                continue
            if nxt == "]":
                scanner.pos += 1
                closed = True
                break
            yield from _flush(positions, raws)
            where = "the file ends" if nxt == "" else f"found {nxt!r}"
            yield damage(f"expected ',' or ']' after element {index}, but {where}")
            return
        yield from _flush(positions, raws)
        if closed and scanner.skip_space() != "":
            yield damage(f"unexpected text after the closing ']' of {index} elements")
    except _READ_ERRORS as error:
        yield from _flush(positions, raws)
        yield damage(f"file unreadable after element {index}: {_describe(error)}")


def _flush(positions: list[int], raws: list[bytes]) -> Iterator[Block]:
    if raws:
        yield ElementBlock(positions.copy(), raws.copy())
        positions.clear()
        raws.clear()
