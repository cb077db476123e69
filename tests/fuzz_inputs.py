"""Hostile landing input for the ingest fuzzer (tests/test_faults_fuzz.py): mutated records, and
landing files packed with them, each with what the ingest must account for.

Hypothesis draws the plan of a file (its format, how many records, the damage it takes, a seed,
a few values of its own); a `random.Random` of that seed then mutates a record per line or
element, so that thousands of records cost one draw. Every file knows what it holds: the
positions of its records (NDJSON: the lines that are not blank; a JSON batch: its values,
numbered across the file), or, for a file whose framing is broken, how many records come wholly
before the damage (a lower bound).
"""

from __future__ import annotations

import gzip
import json
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from tests.ingest_helpers import event

BOM = b"\xef\xbb\xbf"
MB = 1024 * 1024

Record = tuple[bytes, bool]
"""A record's text, and whether a JSON decoder reads it as one whole value (an NDJSON line need
not be: it is a record whatever it holds)."""

_TYPES = ["deliv", "open", "click", "send", "é ü 漢字 🎉", "x" * 300, "unknown_type"]
_WRONG: dict[str, list[object]] = {
    "event_type": [None, 1, "", "   ", "\t\n", [], {}, True, ["open"]],
    "account_id": ["23", 1.5, 2**64, -(2**63) - 1, True, None, "1e3", [23], {"id": 23}],
    "event_date": [1234, "", "yesterday", "2026-13-01T00:00:00Z", "2026-10-01", None,
                   "2026-10-01T25:00:00Z", "0000-01-01T00:00:00Z", "2026-10-01T12:00:00+24:00"],
    "list_id": ["abc", 1.5, [], {}, True, 2**70, -1],
    "profile_id": [1, None, [], {"a": 1}],
    "is_test": ["yes", 1, None, []],
}  # fmt: skip
_DATES = ["2026-10-01T12:00:00Z", "2026-10-01t12:00:00z", "2026-10-01T12:00:00.123456789+03:00",
          "2026-10-01 12:00:00-11:59", "9999-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z",
          "2026-10-01T23:59:60Z", "2026-02-29T00:00:00Z", "2026-10-01T12:00:00.Z"]  # fmt: skip
_NUMBERS = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1" + b"0" * 400, b"-0",
            b"9" * 5000, b"1E+400", b"0.0000000000000000000000001", b"18446744073709551616",
            b"-9223372036854775809", b"1.7976931348623157e309", b"00012", b"+1", b".5"]  # fmt: skip
_BAD_BYTES = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf8\x88\x80\x80\x80",
              b"\x80", b"\xf4\x90\x80\x80", b"\x00", b"\x1b[31m", b"\xe2\x80\xa8"]  # fmt: skip
_ESCAPES = ["\\ud800", "\\udc00", "\\u0000", "\\ud83d\\ude00", "\\\\", '\\"', "\\uZZZZ", "\\x41"]
_NOT_OBJECTS = [b"[1,2]", b'"text"', b"42", b"null", b"true", b"[]", b"{}", b'[{"event_type"'
                b':"open"}]', b"-1.5e3", b'""']  # fmt: skip
DEPTHS = [10, 200, 250, 300, 1023, 1030, 3000, 20_000, 100_000]
"""How many levels a value in a record nests. Not about 255 to 1024 levels in all: orjson reads
those but does not write them, and parse.py raises then (the xfail test of
tests/test_faults_fuzz.py)."""
_BLANKS = [b"", b" ", b"\t", b"\r", b" \t \r", b"\x0b\x0c"]


def _text(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _base(rnd: random.Random) -> dict:
    record = event(rnd.choice(_TYPES), event_date=rnd.choice(_DATES), list_id=rnd.randrange(10**6))
    record["event_data"] = {"campaign_id": rnd.randrange(10**9), "message_id": rnd.random()}
    return record


def _with_raw(record: dict, key: str, raw: bytes) -> bytes:
    """`record` with the value of `key` (added if missing) replaced by the JSON text `raw`."""
    marker = "\x00MARK\x00"
    return _text({**record, key: marker}).replace(_text(marker), raw)


def _nested(rnd: random.Random) -> bytes:
    levels = rnd.choice(DEPTHS)
    opener, closer, each = rnd.choice([(b"[", b"]", 1), (b'{"a":', b"}", 1), (b'[{"b":', b"}]", 2)])
    return opener * (levels // each) + b"1" + closer * (levels // each)


def _mutants(pool: list[object]) -> list[Callable[[random.Random], Record]]:
    """Each makes one hostile record from a valid event."""

    def valid(rnd: random.Random) -> Record:
        return _text(_base(rnd)), True

    def missing(rnd: random.Random) -> Record:
        record = _base(rnd)
        del record[rnd.choice(["event_type", "event_date", "account_id"])]
        return _text(record), True

    def wrong_type(rnd: random.Random) -> Record:
        key = rnd.choice(list(_WRONG))
        return _text({**_base(rnd), key: rnd.choice(_WRONG[key])}), True

    def deep(rnd: random.Random) -> Record:
        return _with_raw(
            _base(rnd), rnd.choice(["event_data", "event_type", "x"]), _nested(rnd)
        ), True

    def long_string(rnd: random.Random) -> Record:
        size = rnd.choice([1000, 20_000, 100_000])
        return _text({**_base(rnd), rnd.choice(["event_data", "blob"]): "ж" * size}), True

    def bad_utf8(rnd: random.Random) -> Record:
        text = _text({**_base(rnd), "note": "ab"})
        bad = rnd.choice(_BAD_BYTES)
        return text.replace(b'"ab"', b'"a' + bad + b'b"'), bad not in (b"\x00", b"\x1b[31m")

    def numbers(rnd: random.Random) -> Record:
        key = rnd.choice(["account_id", "list_id", "event_type", "n", "event_date"])
        raw = rnd.choice(_NUMBERS)
        return _with_raw(_base(rnd), key, raw), raw not in (b"00012", b"+1", b".5")

    def duplicate_keys(rnd: random.Random) -> Record:
        text = _text(_base(rnd))
        key = rnd.choice([b'"event_type"', b'"account_id"', b'"event_date"'])
        twin = key + rnd.choice([b':"open",', b":null,", b":7,", b':"2026-10-02T00:00:00Z",'])
        return text.replace(b"{", b"{" + twin, 1) if rnd.random() < 0.5 else text[
            :-1
        ] + b"," + twin[:-1] + b"}", True

    def escapes(rnd: random.Random) -> Record:
        raw = ('"a' + rnd.choice(_ESCAPES) + 'b"').encode()
        framed = b"uZZZZ" not in raw and b"x41" not in raw
        return _with_raw(_base(rnd), rnd.choice(["event_type", "profile_id", "k"]), raw), framed

    def not_object(rnd: random.Random) -> Record:
        return rnd.choice(_NOT_OBJECTS), True

    def many_keys(rnd: random.Random) -> Record:
        return _text({**_base(rnd), **{f"k{i}": i for i in range(rnd.choice([100, 5000]))}}), True

    def from_pool(rnd: random.Random) -> Record:
        value = rnd.choice(pool) if pool else None
        if rnd.random() < 0.5:
            return _text(value), True
        return _text(
            {**_base(rnd), rnd.choice(["event_data", "event_type", "list_id"]): value}
        ), True

    def truncated(rnd: random.Random) -> Record:
        text = _text(_base(rnd))
        return text[: rnd.randrange(1, len(text))], False

    def concatenated(rnd: random.Random) -> Record:
        return _text(_base(rnd)) + rnd.choice([b"", b" ", b","]) + _text(_base(rnd)), False

    def flipped(rnd: random.Random) -> Record:
        text = bytearray(_text(_base(rnd)))
        for _ in range(rnd.randint(1, 4)):
            text[rnd.randrange(len(text))] ^= rnd.randrange(1, 256)
        return bytes(text), False

    def binary(rnd: random.Random) -> Record:
        return rnd.randbytes(rnd.randint(1, 200)), False

    def bom(rnd: random.Random) -> Record:
        return BOM + _text(_base(rnd)), False

    return [valid, valid, valid, missing, wrong_type, wrong_type, deep, long_string, bad_utf8,
            numbers, numbers, duplicate_keys, escapes, not_object, many_keys, from_pool,
            from_pool, truncated, concatenated, flipped, binary, bom]  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """What hypothesis draws for one landing file."""

    kind: str
    """ndjson | json-array | json-concat | json-lines | json-object | empty | binary"""
    records: int
    gz: bool
    damage: str
    """none | truncate | flip | junk-after | junk-before"""
    seed: int
    huge_string: bool
    """One record holds a 10 MB string."""
    newline: bytes


@dataclass(frozen=True)
class Built:
    """A landing file's bytes and what ingest must account for in it."""

    name: str
    data: bytes
    positions: frozenset[int] | None
    """The positions of its records, when its framing is intact: exactly these are kept or
    rejected, and the file is not damaged. None when its framing is broken; then:"""
    at_least: int
    """Records wholly before the first damage: each is kept or rejected."""
    intact: int | None
    """If the ingest finds no damage, the file holds at least this many records."""
    written: int
    """Records written (lines or values), for the figures."""
    must_damage: bool = False
    """The file passes a limit: the ingest must record a damage."""


def plans(max_records: int) -> st.SearchStrategy[Plan]:
    kinds = ["ndjson"] * 4 + ["json-array"] * 3 + ["json-concat", "json-lines", "json-object"]
    return st.builds(
        Plan,
        kind=st.sampled_from([*kinds, "empty", "binary"]),
        records=st.integers(max_records // 3, max_records),
        gz=st.booleans(),
        damage=st.sampled_from(["none"] * 5 + ["truncate", "flip", "junk-after", "junk-before"]),
        seed=st.integers(0, 2**32),
        huge_string=st.integers(0, 15).map(lambda n: n == 15),
        newline=st.sampled_from([b"\n", b"\r\n", b"\n\n", b"\r\n \r\n"]),
    )


POOL = st.lists(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
        | st.integers(min_value=2**63 - 2, max_value=2**200),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                     max_size=4),
        max_leaves=12,
    ),
    max_size=8,
)  # fmt: skip
"""Values hypothesis draws itself, mixed into the records (NaN, infinities, lone surrogates)."""


def build(plan: Plan, index: int, pool: list[object]) -> Built:
    """The landing file of `plan`, the `index`-th of its run."""
    rnd = random.Random(f"{plan.seed}/{index}")  # Files of the same plan differ.
    mutants = _mutants(pool)
    ndjson = plan.kind == "ndjson"
    records: list[Record] = []
    for _ in range(plan.records if plan.kind not in ("json-object", "empty", "binary") else 1):
        record = rnd.choice(mutants)(rnd)
        while not ndjson and not record[1] and plan.damage == "none":
            record = rnd.choice(mutants)(rnd)  # An intact batch: whole values only.
        records.append(record)
    if plan.huge_string:
        records[rnd.randrange(len(records))] = (_text({**event(), "blob": "z" * (10 * MB)}), True)
    suffix = {"ndjson": ".ndjson", "json-lines": ".json"}.get(plan.kind, ".json")
    if plan.kind in ("empty", "binary"):
        suffix = rnd.choice([".ndjson", ".json", ".jsonl"])
    name = f"f{index:02d}-{plan.kind}{suffix}" + (".gz" if plan.gz else "")
    body, ends = _body(plan, rnd, records)
    broken = next((n for n, (_, whole) in enumerate(records) if not whole), len(records))
    built = _damaged(plan, rnd, name, body, ends[:broken])
    if built.positions is None and not _is_ndjson(name) and broken < len(ends):
        return Built(name, built.data, None, built.at_least, None, len(ends))
    return built


def _body(plan: Plan, rnd: random.Random, records: list[Record]) -> tuple[bytes, list[int]]:
    """The file's text, and where each of its values ends (for a JSON file)."""
    texts = [text for text, _ in records]
    nl = plan.newline
    if plan.kind == "empty":
        return rnd.choice([b"", BOM, b"\n\n", b" \r\n\t"]), []
    if plan.kind == "binary":
        return rnd.randbytes(rnd.randint(1, 50_000)), []
    if plan.kind == "ndjson":
        out = bytearray(BOM if rnd.random() < 0.1 else b"")
        for text in texts:
            out += text + nl
            if rnd.random() < 0.05:
                out += rnd.choice(_BLANKS) + nl
        return bytes(out), []
    if plan.kind in ("json-lines", "json-object"):
        wrapped = [_objectify(text) for text in texts]
        return _joined(b"", wrapped, nl, b"")
    if plan.kind == "json-array":
        return _joined(b"[" + nl, texts, b"," + nl, nl + b"]")
    body, ends = bytearray(), []  # json-concat: arrays and objects back to back
    at = 0
    while at < len(texts):
        take = rnd.randint(1, 200)
        if rnd.random() < 0.2:
            part, part_ends = _joined(b"", [_objectify(texts[at])], b"", b"")
            take = 1
        else:
            part, part_ends = _joined(b"[", texts[at : at + take], b",", b"]")
        ends += [len(body) + end for end in part_ends]
        body += part + rnd.choice([b"", b"\n", b" ", b"\r\n"])
        at += take
    return bytes(body), ends


def _objectify(text: bytes) -> bytes:
    """A value at the top level of a JSON file must be an object to be a record."""
    return text if text.lstrip().startswith(b"{") else b'{"wrapped":' + text + b"}"


def _joined(
    head: bytes, texts: list[bytes], separator: bytes, tail: bytes
) -> tuple[bytes, list[int]]:
    out, ends = bytearray(head), []
    for number, text in enumerate(texts):
        if number:
            out += separator
        out += text
        ends.append(len(out))
    out += tail
    return bytes(out), ends


def ndjson_positions(data: bytes) -> tuple[frozenset[int], int]:
    """The line numbers of the records of NDJSON text (a leading mark skipped, blank lines no
    records), and how many of them are whole lines (ended by a newline)."""
    lines = data.removeprefix(BOM).split(b"\n")
    records = frozenset(n for n, text in enumerate(lines, start=1) if text.strip())
    return records, sum(1 for text in lines[:-1] if text.strip())


def _is_ndjson(name: str) -> bool:
    return name.removesuffix(".gz").endswith((".ndjson", ".jsonl"))


def _damaged(plan: Plan, rnd: random.Random, name: str, body: bytes, ends: list[int]) -> Built:
    """The file's bytes once `plan.damage` is done to it, and what they hold."""
    damage = plan.damage if plan.kind not in ("empty", "binary") else "none"
    cut = len(body)  # Values ending before this are whole in the file.
    if damage == "junk-after":
        body += rnd.choice([b"garbage", b"\x00\xff\xfe", b"}}]]", b'{"open": "', BOM])
    elif damage == "junk-before":
        body, cut = rnd.choice([b"garbage", b"\xff\xfe", b"]]", b'"', BOM + BOM]) + body, 0
    elif damage == "truncate" and not plan.gz:
        body = body[: (cut := rnd.randrange(len(body) + 1))]
    elif damage == "flip" and not plan.gz:
        broken = bytearray(body)
        for at in sorted(rnd.randrange(len(body)) for _ in range(rnd.randint(1, 4))):
            broken[at] ^= rnd.randrange(1, 256)
            cut = min(cut, at)
        body = bytes(broken)
    data = _pack(plan, body)
    if plan.gz and damage in ("truncate", "flip"):
        data = _break_gzip(data, rnd, damage)
        body = _decodable(data)
        cut = min(cut, len(body))
    if _is_ndjson(name):
        positions, whole = ndjson_positions(body)
        if plan.gz and damage in ("truncate", "flip"):
            return Built(name, data, None, whole, None, len(positions))
        return Built(name, data, positions, len(positions), len(positions), len(positions))
    if plan.kind in ("empty", "binary"):  # No JSON value: a damage, with its reason.
        return Built(name, data, None, 0, 1, 1)
    written = len(ends)
    if damage == "none":
        return Built(name, data, frozenset(range(1, written + 1)), written, written, written)
    before = sum(1 for end in ends if end < cut)
    intact = sum(1 for end in ends if end <= cut) if damage in ("truncate", "junk-after") else None
    return Built(name, data, None, before, intact if damage != "junk-before" else None, written)


def past_file_limit(item: Built, limit: int) -> Built:
    """What `item`, a gzipped file, holds once the ingest stops at `limit` decompressed bytes."""
    body = _decodable(item.data)
    if len(body) <= limit:
        return item
    at_least = ndjson_positions(body[:limit])[1] if _is_ndjson(item.name) else 0
    return Built(item.name, item.data, None, at_least, None, item.written, must_damage=True)


def _pack(plan: Plan, body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=1, mtime=0) if plan.gz else body


def _break_gzip(data: bytes, rnd: random.Random, how: str) -> bytes:
    if how == "truncate":
        return data[: rnd.randrange(len(data))]
    broken = bytearray(data)
    for _ in range(rnd.randint(1, 8)):
        broken[rnd.randrange(10, len(broken))] ^= rnd.randrange(1, 256)
    return bytes(broken)


def _decodable(data: bytes) -> bytes:
    """What zlib decodes of a damaged gzip file before its damage (more than any reader hands
    over only in the unended line, which goes with the damage)."""
    inflater = zlib.decompressobj(wbits=31)
    out = bytearray()
    for at in range(0, len(data), 4096):
        try:
            out += inflater.decompress(data[at : at + 4096])
        except zlib.error:
            break
        if inflater.eof:
            break
    return bytes(out)
