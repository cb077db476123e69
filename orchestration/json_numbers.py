"""Where orjson would not read a JSON number back as it was written: shared by the ingest and
the receiver, which both parse with orjson and keep a record's text when orjson would change
it. The standard library only: the receiver imports it without the ingest's libraries."""

from __future__ import annotations

_DIGITS = bytes(ord("0") if ord("0") <= byte <= ord("9") else ord("x") for byte in range(256))
"""A translation table: every ASCII digit to `0`, every other byte to `x`."""
_LONG_DIGITS = b"0" * 19


def has_long_number(text: bytes) -> bool:
    """Whether `text` has 19 digits in a row: an integer that may be beyond 64 bits, which orjson
    would read as a float (then the ingest scans the file, and the receiver cuts the body, into
    each element's own text). One translation and one search, both in C: about 30 times the
    speed of the regular expression `\\d{19}`, which tries every digit as a start."""
    return text.translate(_DIGITS).find(_LONG_DIGITS) >= 0
