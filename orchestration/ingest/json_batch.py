"""The JSON batch reader: HTTP batch bodies (an array of records, or one object), and `.json`
files that hold several of them (back to back, or one object per line as in NDJSON).

A file up to WHOLE_JSON_LIMIT (and MAX_RECORD_BYTES) is parsed in one orjson call. A larger
one, one that does not parse, or one with a number of 19 digits or more (orjson reads an
integer beyond 64 bits as a float, and the element would be stored re-encoded), is scanned
value by value on a sliding text window (`json_window`), and the scan goes on after a fault:

- a broken element (not JSON, or nested too deep for the decoder) is handed on as a record,
  so the parser rejects it with its text, position and reason; reading resumes where
  well-formed elements follow again (`Window.resync`);
- an element above MAX_RECORD_BYTES streams past and is rejected as `record_too_large`;
- text that is no element, or the rest of a file when no element follows, is one `Damage`
  that says how many bytes were skipped.

Every record the file holds is kept or rejected. A leading byte-order mark is skipped.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator
from enum import Enum
from typing import BinaryIO

import orjson

from orchestration.ingest import limits
from orchestration.ingest.blocks import (
    MAX_DAMAGE_RAW,
    READ_ERRORS,
    Block,
    Damage,
    ElementBlock,
    RejectedRecords,
    clip,
    describe,
    too_large,
)
from orchestration.ingest.gzip_stream import GzipStream
from orchestration.ingest.json_window import Prefixed, TooLarge, Window
from orchestration.json_numbers import has_long_number

ELEMENTS_PER_BLOCK = 20_000
"""A JSON batch is parsed in blocks of this many elements."""
WHOLE_JSON_LIMIT = 64 * 1024 * 1024
"""A JSON batch up to this size is parsed in one call; a larger one is scanned element-wise."""
BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte-order mark some senders start a file with; it is skipped."""

_FAULTS = (ValueError, RecursionError, TooLarge)


def json_blocks(stream: BinaryIO | GzipStream) -> Iterator[Block]:
    """The file's records in blocks, with its rejects and damages in their places."""
    head = b""
    try:
        while len(head) <= WHOLE_JSON_LIMIT:
            want = WHOLE_JSON_LIMIT + 1 - len(head)
            head += (more := stream.read(want))
            if len(more) < want:
                break  # The end (a read gives less only there): no read of a buffer for nothing.
    except READ_ERRORS:
        pass  # Salvage what was read: the scanner meets the damage again and reports it.
    if head.startswith(BOM):
        head = head[len(BOM) :]
    damaged = isinstance(stream, GzipStream) and stream.error is not None
    whole = len(head) <= min(WHOLE_JSON_LIMIT, limits.MAX_RECORD_BYTES)
    if whole and not damaged and not has_long_number(head):
        try:
            value = orjson.loads(head)
        except orjson.JSONDecodeError:
            pass  # Salvage what parses, value by value, below.
        else:
            done = yield from _whole_value_blocks(value, head)
            if done is None:
                return
            # An element nests deeper than orjson writes: scan for the text of the rest.
            yield from _after(done, _Scan(Prefixed(head, stream)).blocks())
            return
    yield from _Scan(Prefixed(head, stream)).blocks()


def _whole_value_blocks(value: object, text: bytes) -> Generator[Block, None, int | None]:
    """The blocks of a file parsed in one call; or, when an element of its array nests deeper
    than orjson writes (255 levels; it reads 1024), how many elements were yielded before."""
    if isinstance(value, dict):
        yield ElementBlock([1], [text.strip()])
    elif isinstance(value, list):
        for start in range(0, len(value), ELEMENTS_PER_BLOCK):
            part = value[start : start + ELEMENTS_PER_BLOCK]
            try:
                raws = [orjson.dumps(e) for e in part]
            except TypeError:  # orjson: "Recursion limit reached"
                return start
            yield ElementBlock(list(range(start + 1, start + 1 + len(part))), raws)
    else:
        yield Damage(
            1,
            clip(text.decode("utf-8", errors="replace")),
            f"top level is a JSON {type(value).__name__}, not an array or an object",
        )
    return None


def _after(done: int, blocks: Iterator[Block]) -> Iterator[Block]:
    """`blocks` without the records at positions up to `done` (yielded already)."""
    for block in blocks:
        if isinstance(block, ElementBlock):
            pairs = [
                (p, raw) for p, raw in zip(block.positions, block.raws, strict=True) if p > done
            ]
            if pairs:
                yield ElementBlock([p for p, _ in pairs], [raw for _, raw in pairs])
        elif isinstance(block, RejectedRecords):
            if block.positions[0] > done:
                yield block
        elif not isinstance(block, Damage) or block.position > done:
            yield block


def _printable(text: str) -> str:
    """Window text as a rejection keeps it: a byte that is not UTF-8 (which the window holds as
    a surrogate, to give it back as it came) is U+FFFD, as in the other readers' raw text."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class _Next(Enum):
    """Where the scan goes after a fault."""

    GO_ON = "go on"  # past the value at the fault, dealt with
    RETRY = "retry"  # to a value at the same place (a stray ',' was skipped)
    CLOSED = "closed"  # past the end of the array
    END = "end"  # nowhere: the file ended inside the fault


def _why(fault: Exception) -> str:
    if isinstance(fault, json.JSONDecodeError):
        return fault.msg
    return "nested too deeply" if isinstance(fault, RecursionError) else str(fault)


class _Scan:
    """The scan of one file: its values in order, its records numbered from 1 across them."""

    def __init__(self, source: Prefixed) -> None:
        self.source = source
        self.window = Window(source)
        self.index = 0
        self.positions: list[int] = []
        self.raws: list[bytes] = []

    def blocks(self) -> Iterator[Block]:
        window = self.window
        try:
            first = window.skip_space()
            if first == "":
                yield Damage(1, "", "file is empty: no JSON value")
                return
            while first:
                if first == "[":
                    window.pos += 1
                    if not (yield from self._array()):
                        return
                else:
                    try:
                        raw = window.element()
                    except _FAULTS as fault:
                        if (yield from self._fault(fault, in_array=False)) is _Next.END:
                            return
                    else:
                        yield from self._add(raw)
                first = window.skip_space()
            yield from self.flush()
        except READ_ERRORS as error:
            yield from self.flush()
            reason = f"file unreadable after element {self.index}: {describe(error)}"
            yield self.damage(self.index + 1, clip(window.rest()), reason)

    def _add(self, raw: str) -> Iterator[Block]:
        self.index += 1
        self.positions.append(self.index)
        self.raws.append(raw.encode("utf-8", errors="surrogateescape"))
        if len(self.raws) >= ELEMENTS_PER_BLOCK:
            yield from self.flush()

    def _array(self) -> Generator[Block, None, bool]:
        """The elements of the array whose '[' was read; False when the file ends inside it."""
        window, positions, raws = self.window, self.positions, self.raws
        element, skip_space = window.element, window.skip_space
        index = self.index
        while True:
            if skip_space() == "]":  # An empty array, or a ',' before its end.
                window.pos += 1
                self.index = index
                return True
            try:
                raw = element()
            except _FAULTS as fault:
                self.index = index
                step = yield from self._fault(fault, in_array=True)
                index = self.index
                if step is _Next.END:
                    return False
                if step is _Next.RETRY:
                    continue
            else:
                index += 1
                positions.append(index)
                raws.append(raw.encode("utf-8", errors="surrogateescape"))
            nxt = skip_space()
            if nxt == ",":
                window.pos += 1
                if len(raws) >= ELEMENTS_PER_BLOCK:  # Not before: see _after_element.
                    yield from self.flush()
                continue
            if nxt == "]":
                window.pos += 1
                self.index = index
                return True
            self.index = index
            step = yield from self._after_element(nxt)
            if step is not _Next.GO_ON:
                return step is _Next.CLOSED

    def _after_element(self, nxt: str) -> Generator[Block, None, _Next]:
        """Neither ',' nor ']' after an element: a ',' missing before an object is let pass;
        other text up to where the array resumes belongs to the element, which is then a
        broken record (a damage when it is no longer at hand, or the file ends first)."""
        if nxt == "{":
            return _Next.GO_ON
        window = self.window
        after = f"after element {self.index}"
        if nxt == "":
            yield from self.flush()
            yield self.damage(self.index + 1, "", f"expected ',' or ']' {after}, but the file ends")
            return _Next.END
        start = window.pos  # Where the space before the text begins (just after the element).
        while start > 0 and window.buf[start - 1] in " \t\r\n":
            start -= 1
        space = window.buf[start : window.pos]
        at_hand = bool(self.positions) and self.positions[-1] == self.index
        gap = window.resync(in_array=True)
        if at_hand and gap.found and gap.whole:
            raw = self.raws[-1] + (space + gap.raw).encode("utf-8", errors="surrogateescape")
            if len(raw) <= window.limit:
                self.raws[-1] = raw  # The parser rejects it, with its reason.
                return self._past_separator()
        yield from self.flush()
        if not gap.found:
            skipped = f"the last {gap.size:,} bytes of the file were skipped"
            yield self.damage(self.index + 1, gap.clipped(), f"unexpected text {after}: {skipped}")
            return _Next.END
        skipped = f"{gap.size:,} bytes skipped"
        yield self.damage(self.index + 1, gap.clipped(), f"unexpected text {after}: {skipped}")
        return self._past_separator()

    def _past_separator(self) -> _Next:
        """Past the ',' or ']' a resync stopped at."""
        closed = self.window.skip_space() == "]"
        self.window.pos += 1
        return _Next.CLOSED if closed else _Next.GO_ON

    def _fault(self, fault: Exception, in_array: bool) -> Generator[Block, None, _Next]:
        """The value at `pos` did not decode: it is rejected as a record, or skipped as damage.

        In an array every element is a record; at the top level, what starts as an object."""
        window = self.window
        if window.buf[window.pos] == ",":  # An empty element: nothing is lost.
            window.pos += 1
            return _Next.RETRY
        if isinstance(fault, TooLarge) and (
            fault.end is not None or window.buf[window.pos] in '{["'
        ):
            return (yield from self._too_large(fault, in_array))
        record = in_array or window.buf[window.pos] == "{"
        gap = window.resync(in_array)
        resumes = gap.found or (not in_array and self.source.error is None)  # At the file's end.
        if record and resumes and gap.whole and gap.size <= window.limit:
            yield from self._add(gap.raw)  # The parser rejects it, with its reason.
            return _Next.GO_ON
        yield from self.flush()
        position, noun = self.index + 1, "element" if in_array else "value"
        if gap.found:
            skipped = f"{gap.size:,} bytes skipped to the next {noun}"
        else:
            skipped = f"the last {gap.size:,} bytes of the file were skipped"
        if record:
            self.index = position
            reason = f"{noun} {position} is not valid JSON ({_why(fault)}); {skipped}"
        else:
            reason = f"unexpected text after value {self.index}: {skipped}"
        yield self.damage(position, gap.clipped(), reason)
        return _Next.GO_ON if gap.found else _Next.END

    def _too_large(self, fault: TooLarge, in_array: bool) -> Generator[Block, None, _Next]:
        """Reject the value at `pos`, above MAX_RECORD_BYTES, as it streams past."""
        window = self.window
        yield from self.flush()
        self.index += 1
        if fault.end is not None:  # The window holds it whole.
            head = window.buf[window.pos : window.pos + MAX_DAMAGE_RAW]
            chars, size, ended = fault.end, fault.size, True
            window.pos += fault.end
        else:
            head, chars, size, ended = window.skip_value()
        if ended:
            yield RejectedRecords([self.index], [_printable(clip(head, chars))], [too_large(size)])
            return _Next.GO_ON
        noun = "element" if in_array else "value"
        reason = (
            f"{noun} {self.index} is above MAX_RECORD_BYTES and the file ends inside it: "
            f"the last {size:,} bytes of the file were skipped"
        )
        yield self.damage(self.index, clip(head, chars), reason)
        return _Next.END

    def flush(self) -> Iterator[Block]:
        if self.raws:
            yield ElementBlock(self.positions.copy(), self.raws.copy())
            self.positions.clear()
            self.raws.clear()

    def damage(self, position: int, raw: str, error: str) -> Damage:
        if self.source.error is not None:
            error = f"{error}; the file is damaged: {describe(self.source.error)}"
        return Damage(position, _printable(raw), error)
