"""A sliding text window on a JSON file, for the JSON batch reader's scan (`json_batch`).

json.JSONDecoder finds where each value ends (`value_end`); after a fault, `resync` finds
where reading can resume, and `skip_value` streams past a value too large to hold.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import BinaryIO

from orchestration.ingest import limits
from orchestration.ingest.blocks import MAX_DAMAGE_RAW, READ_ERRORS, clip
from orchestration.ingest.gzip_stream import GzipStream

LOOKAHEAD = 8
"""Reading resumes where this many well-formed values follow (or fewer, then the end of
the array or of the file): an array nested in the broken value closes sooner than that,
and the text after its ']' gives it away."""

_CHUNK = 1 << 20
"""The window grows by at least this many characters."""
_EDGE = 8
"""A decoding error this close to the window's end may be the window's end, not the JSON's."""
_NESTED_MAX = 1 << 20
"""A value nested too deep for the decoder is bracket-matched this far at most (a loop step
per bracket: a bomb of 64 MiB of '[' would take a minute); one longer is a fault."""
_SPACE = re.compile(r"[ \t\r\n]*+")
_IN_ARRAY = re.compile(r",[ \t\r\n]*+(?=[\[{\"\-0-9tfn])|\]")
"""Where an array may resume: a ',' before a value, or the array's ']'."""
_AT_TOP = re.compile(r"\n[ \t\r]*+(?=[\[{\"\-0-9tfn])|[}\]](?=[ \t\r\n]*+[\[{])")
"""Where the top level may resume: a line that starts a value, or a value after a bracket."""
_OUTSIDE = re.compile(r'[^"\[\]{}]*+(?:"(?:[^"\\]++|\\[\s\S])*+"[^"\[\]{}]*+)*+')
"""Text up to the next bracket, whole strings included (it stops at a string left open)."""
_STRING_REST = re.compile(r'(?:[^"\\]++|\\[\s\S])*+')
_VALUE_START = frozenset('[{"-0123456789tfn')


class Prefixed(io.RawIOBase):
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


class TooLarge(Exception):
    """The value at the window's position is above MAX_RECORD_BYTES. `end` and `size` (bytes)
    are known when the window holds it whole; otherwise it is still to be skipped."""

    def __init__(self, end: int | None = None, size: int = 0) -> None:
        super().__init__(end, size)
        self.end, self.size = end, size


@dataclass(frozen=True)
class Gap:
    """Text skipped to resume reading: all of it (`whole`), or its start when it ran longer
    than a record; `chars` and `size` (bytes) long; `found`: reading resumes after it."""

    raw: str
    whole: bool
    chars: int
    size: int
    found: bool

    def clipped(self) -> str:
        return clip(self.raw, None if self.whole else self.chars)


def _discard(_pairs: object) -> None:
    """An object's members, once decoded: only where the object ends matters here."""


def _any_int(_digits: str) -> int:
    """An integer, once decoded: only where it ends matters (`int` refuses more than 4,300
    digits, sys.get_int_max_str_digits, and an element with such a number is valid JSON)."""
    return 0


def _end(pattern: re.Pattern[str], text: str, at: int) -> int:
    found = pattern.match(text, at)
    return found.end() if found else at


def _utf8_len(text: str, start: int, end: int) -> int:
    """How many bytes text[start:end] took in the file, counted a piece at a time."""
    return sum(
        len(text[at : min(at + _CHUNK, end)].encode("utf-8", errors="surrogateescape"))
        for at in range(start, end, _CHUNK)
    )


class Window:
    """A sliding text window on a JSON file: `buf[pos:]` is what is not consumed yet.

    Offsets that methods take and return count from `pos` (`fill` moves it to 0).
    """

    def __init__(self, source: Prefixed) -> None:
        stream = io.BufferedReader(source)
        self._text = io.TextIOWrapper(stream, encoding="utf-8", errors="surrogateescape")
        self._source = source
        self._decoder = json.JSONDecoder()
        self._long_ints = json.JSONDecoder(parse_int=_any_int)
        """Decodes a value with an integer too long for `int` (slower: a call per integer)."""
        self._skimmer = json.JSONDecoder(object_pairs_hook=_discard, parse_int=_any_int)
        """Decodes a value longer than a window, its objects dropped as they end: memory does
        not grow with it (the normal decoder is 5-20% faster, so it decodes the rest)."""
        self.limit = limits.MAX_RECORD_BYTES
        self._maybe_large = self.limit // 4  # characters past which the bytes may pass it
        self.buf = ""
        self.pos = 0
        self.eof = False

    def fill(self, at_least: int = _CHUNK) -> None:
        """Make at least `at_least` characters available after `pos`, unless the stream ends."""
        while not self.eof and len(self.buf) - self.pos < at_least:
            chunk = self._text.read(max(at_least, _CHUNK))
            if not chunk:
                self.eof = True
            self.buf = self.buf[self.pos :] + chunk
            self.pos = 0

    def skip_space(self) -> str:
        """The next non-space character ('' at the end of the file)."""
        while True:
            self.fill()
            # A regex, not a loop per character: a bomb of spaces is read past at C speed.
            self.pos = _end(_SPACE, self.buf, self.pos)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if self.eof:
                return ""

    def peek(self, offset: int) -> tuple[str, int]:
        """The first non-space character at or after `offset` and its offset ('' at the end)."""
        while True:
            at = _end(_SPACE, self.buf, self.pos + offset)
            offset = at - self.pos
            if at < len(self.buf):
                return self.buf[at], offset
            if self.eof:
                return "", offset
            self.fill(offset + _CHUNK)

    def value_end(self, offset: int) -> int:
        """The offset where the JSON value at `offset` ends. Raises ValueError when it is not
        JSON, RecursionError when it nests too deep to decode, TooLarge above the limit."""
        want, decoder = _CHUNK, self._decoder
        while True:
            self.fill(offset + want)
            at = self.pos + offset
            try:
                _, end = decoder.raw_decode(self.buf, at)
            except json.JSONDecodeError as error:
                if error.pos < len(self.buf) - _EDGE and not error.msg.startswith("Unterminated"):
                    raise
                if self.eof:  # Cut short by the end of the file.
                    if len(self.buf) - at > self.limit:
                        raise TooLarge from error
                    raise
            except ValueError:  # An integer too long for `int`, in what may be valid JSON.
                if decoder is not self._decoder:
                    raise
                decoder = self._long_ints
                continue
            except RecursionError:  # Valid JSON may nest deeper than the decoder goes.
                if (nested := _nested_end(self, offset)) is None:
                    raise
                end = self.pos + nested
                at = self.pos + offset  # `fill` may have moved the window.
                if end - at > self._maybe_large:
                    self._check_size(at, end)
                return nested
            else:
                if end < len(self.buf) or self.eof:  # A number at the window's edge may go on.
                    if end - at > self._maybe_large:
                        self._check_size(at, end)
                    return end - self.pos
            if want > self.limit:
                raise TooLarge
            want = min(4 * want, self.limit + 1)  # The value may run past the window: widen it.
            decoder = self._skimmer

    def _check_size(self, at: int, end: int) -> None:
        size = _utf8_len(self.buf, at, end)
        if size > self.limit:
            raise TooLarge(end - self.pos, size)

    def element(self) -> str:
        """The raw text of the value at `pos`, which then moves past it (see `value_end`)."""
        length = self.value_end(0)  # It may move the window: `pos` is read after it.
        end = self.pos + length
        raw = self.buf[self.pos : end]
        self.pos = end
        return raw

    def skip_value(self) -> tuple[str, int, int, bool]:
        """Consume the string, array or object at `pos`, too large to hold: its first
        MAX_DAMAGE_RAW characters, its length in characters and bytes, and whether it ends."""
        head = self.buf[self.pos : self.pos + MAX_DAMAGE_RAW]
        chars = size = depth = 0
        in_string = False
        at = self.pos
        while True:
            buf = self.buf
            at, depth, in_string, ended = _scan_brackets(buf, at, depth, in_string)
            chars += at - self.pos
            size += _utf8_len(buf, self.pos, at)
            self.pos = at
            if ended or self.eof:
                return head, chars, size, ended
            self.fill(len(self.buf) - self.pos + _CHUNK)
            at = self.pos

    def resync(self, in_array: bool) -> Gap:
        """Skip the fault at `pos` to where reading resumes: in an array its ',' before the next
        element or its ']', at the top level a line or value start, each only where `continues`
        says well-formed values follow; or else the end of the file."""
        pattern = _IN_ARRAY if in_array else _AT_TOP
        self.fill(MAX_DAMAGE_RAW + 1)
        head = self.buf[self.pos : self.pos + MAX_DAMAGE_RAW]
        dropped = dropped_size = 0
        offset = 1
        while True:
            self.fill(offset + _CHUNK)
            found = pattern.search(self.buf, self.pos + offset)
            if found is None:
                if self.eof:
                    return self._gap(len(self.buf) - self.pos, head, dropped, dropped_size, False)
                tail = len(self.buf)  # A match may start at the last word and run past it.
                while tail > self.pos + offset and self.buf[tail - 1] in " \t\r\n":
                    tail -= 1
                offset = max(offset, tail - 1 - self.pos)
                if offset > self.limit + _CHUNK:  # No record: stop holding what was skipped.
                    dropped += offset
                    dropped_size += _utf8_len(self.buf, self.pos, self.pos + offset)
                    self.pos += offset
                    offset = 0
                self.fill(len(self.buf) - self.pos + _CHUNK)
                continue
            start, mark = found.start() - self.pos, found.group()
            line = mark[0] == "\n"
            end = start + 1 if not in_array and not line else start
            gap_end = self.continues(start if line else start + 1, in_array and mark != "]", end)
            if gap_end is not None:
                return self._gap(gap_end, head, dropped, dropped_size, True)
            offset = start + 1

    def _gap(self, end: int, head: str, dropped: int, dropped_size: int, found: bool) -> Gap:
        """The gap from `pos` to `end` (after `dropped` characters already skipped)."""
        size = dropped_size + _utf8_len(self.buf, self.pos, self.pos + end)
        raw = head if dropped else self.buf[self.pos : self.pos + end].rstrip()
        self.pos += end
        return Gap(raw, not dropped, dropped + end, size, found)

    def continues(self, offset: int, in_array: bool, gap_end: int) -> int | None:
        """Where the gap ends if well-formed values follow `offset` (else None): LOOKAHEAD of
        them, separated as in an array (`in_array`) or at the top level, or fewer and then the
        end of the file (not a damaged file's), or a broken value after a good one.

        In an array, values that are no objects before an object or the array's end are
        likelier the rest of a list in the broken record than records: the gap takes them.
        """
        parsed, lists = 0, in_array  # lists: no object yet in the candidate's array
        comma = gap_end  # the ',' before the value read
        while parsed < LOOKAHEAD:
            char, offset = self.peek(offset)
            if not in_array:
                if char == "":
                    return gap_end if self._source.error is None else None
                if char not in _VALUE_START:
                    return None
                if char == "[":
                    in_array = True
                    char, offset = self.peek(offset + 1)
                    if char == "]":
                        in_array, offset, parsed = False, offset + 1, parsed + 1
                        continue
            elif lists and char == "{":
                lists = False
                if parsed:
                    gap_end = comma
            try:
                offset = self.value_end(offset)
            except TooLarge:
                return gap_end  # Well-formed as far as a record may go.
            except (ValueError, RecursionError):
                return gap_end if parsed else None
            parsed += 1
            char, offset = self.peek(offset)
            if in_array and char == ",":
                comma, offset = offset, offset + 1
            elif in_array and char == "]":
                if lists:
                    gap_end, lists = offset, False
                in_array, offset = False, offset + 1
            elif in_array:
                return None
        return gap_end

    def rest(self) -> str:
        """What is left of the file, as much as a damage keeps."""
        self.fill(MAX_DAMAGE_RAW + 1)
        return self.buf[self.pos :]


def _scan_brackets(buf: str, at: int, depth: int, in_string: bool) -> tuple[int, int, bool, bool]:
    """Follow a JSON value's brackets from `at` (strings skipped, `depth` and `in_string` as a
    previous window left them) to its end or the end of `buf`: (where it stopped, the depth,
    whether inside a string, whether the value ended: its last bracket closed, or a string at
    depth 0 did)."""
    while at < len(buf):
        if in_string:
            at = _end(_STRING_REST, buf, at)
            if at == len(buf) or buf[at] != '"':
                return at, depth, True, False  # It goes on in the next window (maybe after '\').
            at += 1
            in_string = False
            if depth == 0:
                return at, depth, False, True
            continue
        at = _end(_OUTSIDE, buf, at)
        if at < len(buf):
            char = buf[at]
            at += 1
            if char == '"':
                in_string = True
            elif char in "[{":
                depth += 1
            elif (depth := depth - 1) <= 0:
                return at, depth, False, True
    return at, depth, in_string, False


def _nested_end(window: Window, offset: int) -> int | None:
    """Where the array or object at `offset`, too deep for the decoder, ends: its brackets
    matched (strings skipped), so the values after it keep their places. None when it does
    not end within _NESTED_MAX characters (its contents are the parser's to judge)."""
    depth, in_string = 0, False
    at = window.pos + offset
    while True:
        at, depth, in_string, ended = _scan_brackets(window.buf, at, depth, in_string)
        if ended:
            return at - window.pos
        reached = at - window.pos
        if window.eof or reached - offset > min(window.limit, _NESTED_MAX):
            return None
        window.fill(reached + _CHUNK)
        at = window.pos + reached
