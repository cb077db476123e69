"""Parse and validate raw records into bronze rows and rejects: contract section 3's rules.

A record is rejected when it is not a JSON object, or `event_type` is missing or not a
non-empty string, or `event_date` is missing or not an RFC 3339 timestamp (of years 1 to 9999
once in UTC), or `account_id` is missing or not an integer (of 64 bits). Everything else is
kept whole; an optional envelope field of the wrong type becomes NULL in its typed column and
is named in `type_errors`, while the original survives in `record`. The event key hashes the
record's canonical dump with every integer exact (orjson reads one beyond 64 bits as a float).
"""

from __future__ import annotations

import gc
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import orjson
import polars as pl
from xxhash import xxh3_128_hexdigest

from orchestration.ingest.blocks import ElementBlock, LineBlock
from orchestration.ingest.timestamps import check_dates

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

OPTIONAL_FIELDS: dict[str, type] = {
    "list_id": int,
    "profile_id": str,
    "_xxh": str,
    "_md5": str,
    "is_test": bool,
    "is_static": bool,
    "sends_trying_num": int,
    "subscription_hash_id": str,
    "custom_data": dict,
    "event_data": dict,
    "subscription": list,
}
"""Envelope fields that do not reject a record: name -> the JSON type they must have."""

TYPED_OPTIONAL = [name for name, kind in OPTIONAL_FIELDS.items() if kind not in (dict, list)]
"""Optional fields with a typed bronze column (objects and arrays stay inside `record`)."""

_POLARS_TYPES = {int: pl.Int64, str: pl.String, bool: pl.Boolean}

KEPT_SCHEMA: dict[str, pl.DataType] = {
    "position": pl.Int64(),
    "event_key": pl.String(),
    "event_type": pl.String(),
    "event_date": pl.String(),
    "account_id": pl.Int64(),
    **{name: _POLARS_TYPES[OPTIONAL_FIELDS[name]]() for name in TYPED_OPTIONAL},
    "type_errors": pl.List(pl.String()),
    "record": pl.String(),
}
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "position": pl.Int64(),
    "raw": pl.String(),
    "error": pl.String(),
}

_KINDS = {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
          orjson.Fragment: "a number", str: "a string", list: "an array"}  # fmt: skip


def _json_kind(value: object) -> str:
    return _KINDS.get(type(value), "an object")


@dataclass
class ParsedBlock:
    """The rows one block of raw records produced."""

    kept: pl.DataFrame
    """One row per kept record, in KEPT_SCHEMA plus `event_at` (UTC, microseconds)."""
    rejects: pl.DataFrame
    """One row per rejected record, in REJECT_SCHEMA."""


def _envelope_error(obj: object, raw: bytes = b"") -> str | None:
    """Why a decoded record is rejected, or None when its required envelope is sound."""
    if type(obj) is not dict:
        return f"not a JSON object (the record is {_json_kind(obj)})"
    event_type = obj.get("event_type")
    if type(event_type) is not str:
        if "event_type" not in obj:
            return "event_type is missing"
        return f"event_type must be a non-empty string, not {_json_kind(event_type)}"
    if not event_type.strip():
        return "event_type must be a non-empty string, not an empty one"
    event_date = obj.get("event_date")
    if type(event_date) is not str:
        if "event_date" not in obj:
            return "event_date is missing"
        return f"event_date must be an RFC 3339 string, not {_json_kind(event_date)}"
    account_id = obj.get("account_id")
    if type(account_id) is not int:
        if "account_id" not in obj:
            return "account_id is missing"
        if type(account_id) is float:  # as orjson reads an integer beyond 64 bits, maybe
            account_id = (_exact_loads(raw) or {}).get("account_id")
        if isinstance(account_id, orjson.Fragment):
            return "account_id is outside the 64-bit integer range"
        return f"account_id must be an integer, not {_json_kind(account_id)}"
    if not INT64_MIN <= account_id <= INT64_MAX:
        return "account_id is outside the 64-bit integer range"
    return None


def parse_records(positions: Iterable[int], raws: list[bytes]) -> ParsedBlock:
    """Validate and type raw records; keeps each record's text whole."""
    gc_was_enabled = gc.isenabled()
    gc.disable()  # Millions of short-lived dicts: the cycle collector only costs time here.
    try:
        return _parse_records(positions, raws)
    finally:
        if gc_was_enabled:
            gc.enable()


_FIELD_NAMES = tuple(OPTIONAL_FIELDS)
_ROW_COLUMNS = ("position", "event_key", "event_type", "event_date", "account_id",
                *TYPED_OPTIONAL, "type_errors", "record")  # fmt: skip
_INT_FIELDS = [name for name in TYPED_OPTIONAL if OPTIONAL_FIELDS[name] is int]
_POLARS_CHECKED = [name for name in TYPED_OPTIONAL if OPTIONAL_FIELDS[name] in (str, bool)]
"""Typed fields whose types Polars checks as it builds their columns: a strict String or
Boolean column refuses every other JSON type. An Int64 column takes a boolean as 0 or 1, so
integer fields, and the objects and arrays that have no typed column, are checked here."""
_FIELD_TYPES = [
    (name, kind, {kind, type(None)})
    for name, kind in OPTIONAL_FIELDS.items()
    if name not in _POLARS_CHECKED
]

CHUNK_RECORDS = 128
"""Records decoded together. Each column is then one C-level pass over the chunk's objects;
a chunk this small keeps those objects in the CPU cache between passes (2,048 records per
chunk made the passes slower than a per-record loop)."""

_loads = orjson.loads
_dumps = orjson.dumps
_SORTED = orjson.OPT_SORT_KEYS
"""The event key hashes `orjson.dumps(record, None, OPT_SORT_KEYS)`. map() passes the option
positionally: a functools.partial with `option=` builds a keyword dict on every call, which
cost about 0.14 µs per record, 1.5% of the 1 GB ingest's time."""
_get: Callable[[dict[str, Any], str], Any] = dict.get


def _parse_records(positions: Iterable[int], raws: list[bytes]) -> ParsedBlock:
    # Column by column rather than record by record: every statement of _parse_chunk is a
    # map() over a chunk's objects, so the common case runs in C, and the rare cases
    # (a malformed record, a wrong-typed field) drop to per-record helpers for that chunk.
    if not isinstance(positions, range):
        positions = list(positions)
    columns: dict[str, list] = {name: [] for name in _ROW_COLUMNS}
    rejected: dict[str, list] = {name: [] for name in REJECT_SCHEMA}
    for start in range(0, len(raws), CHUNK_RECORDS):
        end = start + CHUNK_RECORDS
        _parse_chunk(positions[start:end], raws[start:end], columns, rejected)
    data: dict[str, Sequence] = dict(columns)
    _check_int_ranges(data)
    typed = _typed_columns(data)
    typed["record"] = pl.Series(columns["record"], dtype=pl.Binary).cast(pl.String)
    frame = pl.DataFrame(data | typed, schema=KEPT_SCHEMA)
    rejects = pl.DataFrame(rejected, schema=REJECT_SCHEMA)
    return ParsedBlock(*check_dates(frame, rejects))


def _decode_each(raws: list[bytes]) -> tuple[list, dict[int, str]]:
    """Decode record by record: the objects ({} for a record that is not JSON) and why not."""
    objects: list = []
    problems: dict[int, str] = {}
    for index, raw in enumerate(raws):
        try:
            objects.append(_loads(raw))
        except orjson.JSONDecodeError as error:
            # An integer beyond a double (1e309 and up) is valid JSON that orjson refuses.
            decoded = _exact_loads(raw) if str(error).startswith(_INFINITE) else None
            objects.append({} if decoded is None else decoded)
            if decoded is None:
                problems[index] = f"not valid JSON: {error}"
    return objects, problems


def _parse_chunk(
    positions: Sequence[int], raws: list[bytes], columns: dict[str, list], rejected: dict[str, list]
) -> None:
    """Append a chunk's kept records to `columns` and its rejects to `rejected`."""
    try:
        objects = list(map(_loads, raws))
        problems: dict[int, str] = {}
    except orjson.JSONDecodeError:
        objects, problems = _decode_each(raws)
    if set(map(type, objects)) != {dict}:
        for index, obj in enumerate(objects):
            if type(obj) is not dict:
                problems[index] = _envelope_error(obj) or ""
                objects[index] = {}
    event_types = list(map(_get, objects, repeat("event_type")))
    event_dates = list(map(_get, objects, repeat("event_date")))
    account_ids = list(map(_get, objects, repeat("account_id")))
    try:
        # str.strip() strips exactly what isspace() means, and refuses anything but a str.
        sound = (
            all(map(str.strip, event_types))
            and set(map(type, event_dates)) == {str}
            and set(map(type, account_ids)) == {int}  # type() is exact: a boolean is not an int
            and min(account_ids) >= INT64_MIN
            and max(account_ids) <= INT64_MAX
        )
    except TypeError:
        sound = False
    if not sound:
        for index, obj in enumerate(objects):
            if index not in problems and (problem := _envelope_error(obj, raws[index])):
                problems[index] = problem
    dumps, too_deep = _keyed_dumps(objects)
    problems = too_deep | problems
    if problems:
        for index in sorted(problems):
            rejected["position"].append(positions[index])
            rejected["raw"].append(raws[index].decode("utf-8", errors="replace"))
            rejected["error"].append(problems[index])
        kept = [index for index in range(len(raws)) if index not in problems]
        objects, raws = [objects[i] for i in kept], [raws[i] for i in kept]
        positions = [positions[i] for i in kept]
        dumps = [dumps[i] for i in kept]
        event_types = [event_types[i] for i in kept]
        event_dates = [event_dates[i] for i in kept]
        account_ids = [account_ids[i] for i in kept]
    columns["position"].extend(positions)
    if _may_hold_big_integers(b"".join(dumps)):
        dumps = _exact_dumps(dumps, raws)
    columns["event_key"].extend(map(xxh3_128_hexdigest, dumps))
    columns["event_type"].extend(event_types)
    columns["event_date"].extend(event_dates)
    columns["account_id"].extend(account_ids)
    for name in _POLARS_CHECKED:
        columns[name].extend(map(_get, objects, repeat(name)))
    wrong: dict[int, list[str]] = {}
    for name, kind, allowed in _FIELD_TYPES:
        values = list(map(_get, objects, repeat(name)))
        if not set(map(type, values)) <= allowed:
            for index, value in enumerate(values):
                if value is not None and type(value) is not kind:
                    values[index] = None
                    wrong.setdefault(index, []).append(name)
        if name in columns:  # objects and arrays have no typed column: they stay in `record`
            columns[name].extend(values)
    # Integers beyond 64 bits pass the type test here: _check_int_ranges NULLs them, per
    # column, once the block is parsed, as _typed_columns does with wrong-typed strings and
    # booleans. Their names join these in field order.
    count = len(objects)
    columns["type_errors"].extend(map(wrong.get, range(count)) if wrong else repeat(None, count))
    columns["record"].extend(raws)


def _keyed_dumps(objects: list) -> tuple[list[bytes], dict[int, str]]:
    """The sorted compact dumps the event key hashes, and the records that have none: orjson
    reads 1,024 levels of nesting but writes only 255, so a record nested deeper is rejected
    (never a TypeError that stops the run)."""
    try:
        return list(map(_dumps, objects, repeat(None), repeat(_SORTED))), {}
    except TypeError:
        pass
    dumps: list[bytes] = []
    problems: dict[int, str] = {}
    for index, obj in enumerate(objects):
        try:
            dumps.append(_dumps(obj, None, _SORTED))
        except TypeError:
            dumps.append(b"")
            problems[index] = "nested too deeply: more than 255 levels of arrays and objects"
    return dumps, problems


_INFINITE = "number is infinity when parsed as double"
_EXPONENT = re.compile(rb"[0-9]e\+")


def _may_hold_big_integers(dumps: bytes) -> bool:
    """Whether a chunk's dumps may hold an integer beyond 64 bits: orjson reads one (outside
    -2**63 to 2**64 - 1) as a float, and writes such a float as a digit, `e+`, its exponent.
    A `+` is rare in a dump (phone numbers aside), and each is found by memchr."""
    at = dumps.find(b"+")
    while at >= 2:
        if dumps[at - 1] == 0x65 and 0x30 <= dumps[at - 2] <= 0x39:  # a digit, then "e+"
            return True
        at = dumps.find(b"+", at + 1)
    return False


def _exact_dumps(dumps: list[bytes], raws: list[bytes]) -> list[bytes]:
    """The dumps with every integer exact: a record whose dump has a float with an exponent is
    read again (`_exact_loads`); one with no integer beyond orjson's range dumps the same."""
    exact = list(dumps)
    for index, dump in enumerate(dumps):
        if b"e+" in dump and _EXPONENT.search(dump) and (read := _exact_loads(raws[index])):
            exact[index] = _dumps(read, None, _SORTED)
    return exact


def _exact_int(literal: str) -> int | orjson.Fragment:
    """A JSON integer, exact: an int where orjson has one, else its digits (as int() reads 4,300
    digits at most, a literal over 20 characters, which never fits, is not given to it)."""
    if len(literal) <= 20 and INT64_MIN <= (value := int(literal)) <= 2**64 - 1:
        return value
    return orjson.Fragment(literal.encode())


def _finite(literal: str) -> float:
    if not math.isfinite(number := float(literal)):
        raise ValueError(f"{literal}: {_INFINITE}")
    return number


def _exact_loads(raw: bytes) -> Any:
    """A record as the standard library reads it, as strictly as orjson (no NaN, no infinite
    number, strings of UTF-8), its integers exact (`_exact_int`); None if it is not JSON."""
    try:
        decoded = json.loads(raw, parse_int=_exact_int, parse_float=_finite, parse_constant=_finite)
        _dumps(decoded)  # orjson checks what it writes: a string must be UTF-8
    except (ValueError, TypeError, RecursionError):
        return None
    return decoded


def _check_int_ranges(data: dict[str, Sequence]) -> None:
    """NULL the integers beyond 64 bits, naming their field in `type_errors` (in place).

    Checked per column, in C, rather than per record: orjson decodes integers up to
    2**64 - 1, so a sound-looking type combination can still hold one that does not fit.
    """
    for name in _INT_FIELDS:
        column = data[name]
        # filter(None, ...) drops NULLs (and zeros, which fit): the scan stays in C.
        if (
            min(filter(None, column), default=0) >= INT64_MIN
            and max(filter(None, column), default=0) <= INT64_MAX
        ):
            continue
        _null_wrong(data, name, lambda value: not INT64_MIN <= value <= INT64_MAX)


def _typed_columns(data: dict[str, Sequence]) -> dict[str, pl.Series]:
    """The string and boolean fields' columns; a value of another type becomes NULL and its
    field is named in `type_errors` (in `data`, in place)."""
    typed: dict[str, pl.Series] = {}
    for name in _POLARS_CHECKED:
        dtype = KEPT_SCHEMA[name]
        try:
            typed[name] = pl.Series(name, data[name], dtype=dtype, strict=True)
        except (TypeError, ValueError):  # ValueError: an orjson.Fragment, from _exact_loads
            kind = OPTIONAL_FIELDS[name]

            def wrong_type(value: object, kind: type = kind) -> bool:
                return type(value) is not kind

            _null_wrong(data, name, wrong_type)
            typed[name] = pl.Series(name, data[name], dtype=dtype, strict=True)
    return typed


def _null_wrong(data: dict[str, Sequence], name: str, wrong: Callable[[Any], bool]) -> None:
    """NULL the values of column `name` that are `wrong`, naming `name` in their rows'
    `type_errors` (in field order); in place."""
    values, errors = list(data[name]), list(data["type_errors"])
    for row, value in enumerate(values):
        if value is not None and wrong(value):
            values[row] = None
            named = {*(errors[row] or ()), name}
            errors[row] = [field for field in _FIELD_NAMES if field in named]
    data[name], data["type_errors"] = values, errors


def parse_block(block: LineBlock | ElementBlock) -> ParsedBlock:
    """Split a block into records (skipping blank lines) and parse them."""
    if isinstance(block, ElementBlock):
        return parse_records(block.positions, block.raws)
    lines = block.data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()  # The newline that ends the last line starts no record.
    stripped = list(map(bytes.strip, lines))
    if all(stripped):  # No blank line: positions are consecutive (the common case, in C).
        return parse_records(range(block.first_line, block.first_line + len(lines)), stripped)
    kept = [(block.first_line + offset, raw) for offset, raw in enumerate(stripped) if raw]
    return parse_records([position for position, _ in kept], [raw for _, raw in kept])
