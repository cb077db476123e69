"""A hook body as landing lines: a JSON array of messages (or one message), one line each.

Only the body's shape is judged here: it must be JSON, UTF-8, and an array or an object.
What is inside is not: every element, valid record or not, becomes one NDJSON line, and the
ingest keeps it or rejects it with its reason, as it does for any landing file.

A line holds the same JSON value as the element did. Most bodies are parsed by orjson and each
element written back minified. A body orjson would change is cut into its elements' own text
instead (the standard library's `raw_decode` finds where each ends): one with an integer of 19
digits or more (orjson reads one beyond 64 bits as a float), a number beyond a double's range
(orjson would write it as null), nesting orjson cannot write back, or anything orjson refuses,
such as an escaped lone surrogate. The only change made to an element's text then is that a
line break between its tokens becomes a space (a raw line break cannot be inside a string).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import orjson

from orchestration.json_numbers import has_long_number


class NotABatch(ValueError):
    """The body is not a hook batch; the message says what is wrong, for the sender."""


@dataclass(frozen=True)
class Batch:
    """A body's messages as NDJSON: one JSON value and a newline per message."""

    lines: bytes
    messages: int


BOM = b"\xef\xbb\xbf"
"""A UTF-8 byte-order mark at the start of a body is dropped, as the ingest drops it."""
_SPACE = re.compile(r"[ \t\n\r]*")
_LINE_BREAK = re.compile(r"[\r\n]")
_KINDS = {str: "a string", int: "a number", float: "a number", bool: "true or false"}


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _not_a_batch(value: object) -> NotABatch:
    kind = "null" if value is None else _KINDS.get(type(value), type(value).__name__)
    return NotABatch(f"a JSON array of hook messages (or one object) was expected, not {kind}")


def _fast(body: bytes) -> Batch | None:
    """The batch through orjson, or None when orjson cannot be trusted with this body.

    Not trusted: a body with 19 digits in a row (found with one translation and one search,
    both in C), or one where orjson wrote `null` more often than the body has it (a number out
    of a double's range became infinity, which orjson writes as null).
    """
    if has_long_number(body):
        return None
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict):
        parsed = [parsed]
    elif not isinstance(parsed, list):
        raise _not_a_batch(parsed)
    if not parsed:
        return Batch(b"", 0)
    try:
        lines = b"\n".join(map(orjson.dumps, parsed)) + b"\n"
    except TypeError:  # orjson reads 1,024 levels of nesting but writes only 255
        return None
    if lines.count(b"null") != body.count(b"null"):
        return None
    return Batch(lines, len(parsed))


def _decode(text: str, at: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, at)
    except (ValueError, RecursionError) as error:  # RecursionError: nested too deep
        raise NotABatch(f"the body is not JSON: {error}") from None


def _skip(text: str, at: int) -> int:
    match = _SPACE.match(text, at)
    return match.end() if match else at


def _element_texts(text: str) -> list[str]:
    """Each element's own text, for a body that is an array (or the body, for an object)."""
    start = _skip(text, 0)
    if not text.startswith("[", start):
        value, end = _decode(text, start)
        if (after := _skip(text, end)) != len(text):
            raise NotABatch(f"the body is not JSON: extra data at character {after}")
        if not isinstance(value, dict):
            raise _not_a_batch(value)
        return [text[start:end]]
    elements: list[str] = []
    at = _skip(text, start + 1)
    if text.startswith("]", at):
        at += 1
    else:
        while True:
            _, end = _decode(text, at)
            elements.append(text[at:end])
            at = _skip(text, end)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
            elif text.startswith("]", at):
                at += 1
                break
            else:
                raise NotABatch(f"the body is not JSON: ',' or ']' expected at character {at}")
    if (after := _skip(text, at)) != len(text):
        raise NotABatch(f"the body is not JSON: extra data at character {after}")
    return elements


def split_batch(body: bytes) -> Batch:
    """The messages of a body, or `NotABatch` with the reason."""
    body = body.removeprefix(BOM)
    if not body.strip():
        raise NotABatch("the body is empty")
    fast = _fast(body)
    if fast is not None:
        return fast
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotABatch(f"the body is not UTF-8 (byte {error.start})") from None
    elements = [_LINE_BREAK.sub(" ", element) for element in _element_texts(text)]
    if not elements:
        return Batch(b"", 0)
    lines = "\n".join(elements) + "\n"
    return Batch(lines.encode("utf-8", "surrogatepass"), len(elements))
