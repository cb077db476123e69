"""Defects injected into the dumps: malformed records, wrong-typed optional fields, re-serialized
duplicates.

Malformed kinds (each is a **reject** under warehouse-contract section 3):

| kind | what the record looks like |
|---|---|
| `invalid_json` | JSON text with a comma missing (NDJSON only) |
| `truncated_line` | a record cut mid-way, like a crashed writer (NDJSON only) |
| `not_object` | a JSON string (the record double-encoded), an array holding the record, or `null` |
| `missing_event_type`, `empty_event_type` | no `event_type`, or `""` |
| `missing_event_date` | no `event_date` |
| `invalid_event_date` | `2026-13-45T...`, `2026-10-05 25:61:00`, or prose |
| `event_date_number` | a Unix timestamp number instead of a string |
| `account_id_string`, `account_id_missing` | `"23"` instead of `23`, or no `account_id` |

Oddities (**not** rejects: an optional field of the wrong type; the record is a valid event):
`list_id_string` (`"abc"`), `is_static_string` (`"false"`), `lat_string` (`event_data.lat` as a
string).
"""

from __future__ import annotations

import orjson

MALFORMED_KINDS: tuple[tuple[str, float], ...] = (
    ("invalid_json", 0.12), ("truncated_line", 0.12), ("not_object", 0.10),
    ("missing_event_type", 0.10), ("empty_event_type", 0.08), ("missing_event_date", 0.08),
    ("invalid_event_date", 0.12), ("event_date_number", 0.08), ("account_id_string", 0.10),
    ("account_id_missing", 0.10),
)  # fmt: skip
TEXT_ONLY = frozenset({"invalid_json", "truncated_line"})
"""Kinds that would break a whole JSON batch body; used in NDJSON only."""
JSON_SAFE = tuple(i for i, (kind, _) in enumerate(MALFORMED_KINDS) if kind not in TEXT_ONLY)
"""Indexes of the kinds that keep a JSON batch body parseable (used instead in batches)."""

ODDITY_KINDS: tuple[str, ...] = ("list_id_string", "is_static_string", "lat_string")


def reserialize(rec: bytes, option: int) -> bytes:
    """The same JSON object with its keys in another order."""
    obj = orjson.loads(rec)
    if option & orjson.OPT_SORT_KEYS:
        return orjson.dumps({k: obj[k] for k in reversed(list(obj))})
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def apply_oddity(rec: bytes, first_kind: int, option: int) -> tuple[bytes, int]:
    """Give one optional field the wrong type; returns (record, kind index) or (rec, -1)."""
    obj = orjson.loads(rec)
    for step in range(len(ODDITY_KINDS)):
        k = (first_kind + step) % len(ODDITY_KINDS)
        kind = ODDITY_KINDS[k]
        if kind == "list_id_string" and isinstance(obj.get("list_id"), int):
            obj["list_id"] = "abc"
        elif kind == "is_static_string" and isinstance(obj.get("is_static"), bool):
            obj["is_static"] = "true" if obj["is_static"] else "false"
        elif (
            kind == "lat_string"
            and isinstance(obj.get("event_data"), dict)
            and isinstance(obj["event_data"].get("lat"), float)
        ):
            obj["event_data"]["lat"] = str(obj["event_data"]["lat"])
        else:
            continue
        return orjson.dumps(obj, option=option), k
    return rec, -1


def make_malformed(rec: bytes, kind: str, r: int, option: int) -> bytes:
    """A rejected record of the given kind, derived from a real one (r: a random integer)."""
    if kind == "invalid_json":
        broken = rec.replace(b'",', b'" ', 1)
        return broken if broken != rec else rec + b"}"
    if kind == "truncated_line":
        cut = max(8, int(len(rec) * (0.2 + (r % 70) / 100)))
        return rec[: min(cut, len(rec) - 2)]
    if kind == "not_object":
        variant = r % 3
        if variant == 0:
            return orjson.dumps(rec.decode())
        if variant == 1:
            return b"[" + rec + b"]"
        return b"null"
    obj = orjson.loads(rec)
    if kind == "missing_event_type":
        obj.pop("event_type", None)
    elif kind == "empty_event_type":
        obj["event_type"] = ""
    elif kind == "missing_event_date":
        obj.pop("event_date", None)
    elif kind == "invalid_event_date":
        date = str(obj.get("event_date", "2026-10-01T00:00:00Z"))
        variant = r % 3
        if variant == 0:
            obj["event_date"] = f"{date[:5]}13-45{date[10:]}"
        elif variant == 1:
            obj["event_date"] = f"{date[:10]} 25:61:00"
        else:
            obj["event_date"] = "yesterday"
    elif kind == "event_date_number":
        obj["event_date"] = 1_790_000_000 + r % 10_000_000
    elif kind == "account_id_string":
        obj["account_id"] = str(obj.get("account_id", 23))
    elif kind == "account_id_missing":
        obj.pop("account_id", None)
    else:
        raise ValueError(f"unknown malformed kind {kind!r}")
    return orjson.dumps(obj, option=option)
