"""What the generator tests share: reading a dump back, recognising its defects, one run."""

# The dumps are read back with plain json/orjson here (not with the project's ingest). A
# malformed record is recognised by the concrete form the generator gives each defect kind
# (`orchestration.generate.write.defects`, checked on hand-written records in
# tests/test_generate_defects.py), not by the contract's reject rules: the tests state what
# the generator writes, and the ingest's own tests what it rejects.

from __future__ import annotations

import functools
import hashlib
import json
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson

from orchestration.catalog import load_catalog
from orchestration.generate import GenerateReport, generate_dumps

CATALOG = {e.event_type: e for e in load_catalog()}
DATE = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def instant(value: str) -> int:
    """UTC ns since the epoch of an event_date the generator wrote for a valid record."""
    m = DATE.fullmatch(value)
    assert m, value
    base, frac, tz = m.groups()
    seconds = datetime.fromisoformat(base + ("+00:00" if tz == "Z" else tz)).timestamp()
    return int(seconds) * 10**9 + int((frac or "").ljust(9, "0"))


def line_defect(line: bytes) -> str:
    """The defect of an NDJSON line that does not parse: `invalid_json` lost the comma after
    its first string (it parses once the comma is back), `truncated_line` was cut short."""
    try:
        orjson.loads(line.replace(b'" ', b'",', 1))
    except orjson.JSONDecodeError:
        return "truncated_line"
    return "invalid_json"


def defect(obj: object) -> str | None:
    """The malformed kind of a parsed record, by the form the generator gives it, or None."""
    if not isinstance(obj, dict):
        return "not_object"
    when, account = obj.get("event_date"), obj.get("account_id")
    forms = (
        ("missing_event_type", "event_type" not in obj),
        ("empty_event_type", obj.get("event_type") == ""),
        ("missing_event_date", "event_date" not in obj),
        ("event_date_number", isinstance(when, int)),
        ("invalid_event_date", re.search(r"^yesterday$|-13-45T| 25:61:00$", str(when))),
        ("account_id_missing", "account_id" not in obj),
        ("account_id_string", isinstance(account, str)),
    )
    return next((kind for kind, found in forms if found), None)


def oddity(ev: dict[str, Any]) -> str | None:
    """The oddity of a valid record (an optional field of the wrong type), or None."""
    fields = (("list_id", ev), ("is_static", ev), ("lat", ev["event_data"]))
    return next((f"{k}_string" for k, obj in fields if isinstance(obj.get(k), str)), None)


@dataclass
class Dump:
    valid: list[dict[str, Any]] = field(default_factory=list)
    dump_day: list[date] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rejects: list[str] = field(default_factory=list)
    damaged_files: list[str] = field(default_factory=list)


def read_dump(root: Path) -> Dump:
    out = Dump()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        data, name = path.read_bytes(), path.name.lower().removesuffix(".gz")
        if path.name.lower().endswith(".gz"):
            d = zlib.decompressobj(31)
            data = d.decompress(data)
            if not d.eof:
                out.damaged_files.append(rel)
                data = data[: data.rfind(b"\n") + 1]  # the partial last line is part of the damage
        items: list[object] = []
        if name.endswith((".ndjson", ".jsonl")):
            for line in filter(bytes.strip, data.split(b"\n")):
                try:
                    items.append(orjson.loads(line))
                except orjson.JSONDecodeError:
                    out.rejects.append(line_defect(line))
        elif name.endswith(".json"):
            body = json.loads(data)
            items = body if isinstance(body, list) else [body]
        else:
            raise AssertionError(f"unexpected file {rel}")
        out.files.append(rel)
        for obj in items:
            kind = defect(obj)
            if kind:
                out.rejects.append(kind)
            else:
                assert isinstance(obj, dict)
                out.valid.append(obj)
                out.dump_day.append(date.fromisoformat(rel.split("/")[0]))
    return out


def canonical(obj: dict[str, Any]) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)


def recipient(ev: dict[str, Any]) -> str | None:
    return ev.get("profile_id") or ev.get("_xxh")


def live(dump: Dump) -> list[dict[str, Any]]:
    """Distinct non-test events, sorted by time."""
    distinct = {canonical(ev): ev for ev in dump.valid if ev.get("is_test") is not True}
    return sorted(distinct.values(), key=lambda e: instant(e["event_date"]))


def digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def check_counts(report: GenerateReport, dump: Dump) -> None:
    assert len(dump.valid) == report.events
    distinct = {canonical(ev) for ev in dump.valid}
    assert len(dump.valid) - len(distinct) == report.duplicates
    late = 0
    for ev, day in zip(dump.valid, dump.dump_day, strict=True):
        utc_day = datetime.fromtimestamp(instant(ev["event_date"]) // 10**9, tz=UTC).date()
        late += day > utc_day
        assert day >= utc_day
    assert late == report.late
    record_level = {k: v for k, v in report.malformed.items() if k != "truncated_gzip"}
    assert dict(Counter(dump.rejects)) == record_level
    assert len(dump.damaged_files) == report.malformed.get("truncated_gzip", 0)
    assert sorted(dump.damaged_files) == sorted(report.truncated)
    odd = Counter(kind for kind in map(oddity, dump.valid) if kind)
    assert dict(odd) == report.oddities
    assert report.bytes == sum((Path(report.out_dir) / f).stat().st_size for f in report.files)
    assert sorted(dump.files) == report.files


@functools.cache
def moderate_run(basetemp: Path) -> tuple[GenerateReport, Dump]:
    """The moderate run (50,000 events, seed 11) and its dump read back: generated once per
    session, under the session's base temporary folder, for every module that uses it."""
    out = basetemp / "moderate"
    out.mkdir()
    report = generate_dumps(out, 50_000, seed=11)
    return report, read_dump(out)
