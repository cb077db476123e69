"""The JSON batch reader: an HTTP batch body (an array of records, or one object).

A batch up to WHOLE_JSON_LIMIT is parsed in one call; a larger one, or one that does not
parse, is scanned element by element, so the elements before a damage are kept.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import BinaryIO

import orjson

from orchestration.ingest.blocks import (
    MAX_DAMAGE_RAW,
    READ_ERRORS,
    Block,
    Damage,
    ElementBlock,
    clip,
    describe,
)
from orchestration.ingest.gzip_stream import GzipStream

ELEMENTS_PER_BLOCK = 20_000
"""A JSON batch is parsed in blocks of this many elements."""
WHOLE_JSON_LIMIT = 64 * 1024 * 1024
"""A JSON batch up to this size is parsed in one call; a larger one is scanned element-wise."""


def json_blocks(stream: BinaryIO | GzipStream) -> Iterator[Block]:
    """The batch's records in blocks, then a `Damage` if it breaks before its end."""
    head = b""
    try:
        while len(head) <= WHOLE_JSON_LIMIT and (more := stream.read(WHOLE_JSON_LIMIT + 1)):
            head += more
    except READ_ERRORS:
        pass  # Salvage what was read: the scanner meets the damage again and reports it.
    damaged = isinstance(stream, GzipStream) and stream.error is not None
    if len(head) <= WHOLE_JSON_LIMIT and not damaged:
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
            clip(text.decode("utf-8", errors="replace")),
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
        except READ_ERRORS as error:
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
        rest = clip(scanner.rest())
        if source.error is not None:
            error = f"{error}; the file is damaged: {describe(source.error)}"
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
    except READ_ERRORS as error:
        yield from _flush(positions, raws)
        yield damage(f"file unreadable after element {index}: {describe(error)}")


def _flush(positions: list[int], raws: list[bytes]) -> Iterator[Block]:
    if raws:
        yield ElementBlock(positions.copy(), raws.copy())
        positions.clear()
        raws.clear()
