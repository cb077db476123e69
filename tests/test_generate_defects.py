"""Tests of the generator's defects (malformed records, oddities, copies) and its counts."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Literal

import orjson
import pytest

from orchestration.generate import GenerateReport, generate_dumps
from orchestration.generate.write import defects
from tests.generate_helpers import (
    Dump,
    check_counts,
    defect,
    line_defect,
    moderate_run,
    oddity,
    read_dump,
)


@pytest.fixture(scope="module")
def moderate(tmp_path_factory) -> tuple[GenerateReport, Dump]:
    return moderate_run(tmp_path_factory.getbasetemp())


# ---------------------------------------------------------------------- defects and counts


def test_counts_match_report(moderate) -> None:
    report, dump = moderate
    check_counts(report, dump)
    assert report.duplicates > 0 and report.late > 0
    assert set(report.malformed) == {kind for kind, _ in defects.MALFORMED_KINDS}
    assert set(report.oddities) == {"list_id_string", "is_static_string", "lat_string"}
    assert report.summary().startswith("Wrote ")


SMALL_MALFORMED = {
    "account_id_missing": 4, "account_id_string": 7, "empty_event_type": 3,
    "event_date_number": 6, "invalid_event_date": 4, "missing_event_type": 4, "not_object": 3,
    "truncated_line": 6,
}  # fmt: skip


@pytest.mark.parametrize(("layout", "text_only"), [
    ("mixed", {"invalid_json": 3, "missing_event_date": 5}),
    ("ndjson", {"invalid_json": 4, "missing_event_date": 4}),
])  # fmt: skip
def test_small_run_counts(
    tmp_path: Path, layout: Literal["mixed", "ndjson"], text_only: dict[str, int]
) -> None:
    """Pinned outcome of one small run, counted once in its files with the recognisers of
    generate_helpers (`line_defect`, `defect`, `oddity`, canonical copies, dump day against
    event day). Both layouts draw the same defects; in the mixed layout an `invalid_json` drawn
    for an HTTP batch record (it would break the whole body) became a `missing_event_date`."""
    report = generate_dumps(
        tmp_path, 3_000, seed=21, days=3, duplicate_rate=0.05, late_rate=0.05,
        malformed_rate=0.02, layout=layout,
    )  # fmt: skip
    assert (report.events, report.duplicates, report.late) == (2649, 111, 152)
    assert report.malformed == dict(sorted((SMALL_MALFORMED | text_only).items()))
    assert report.oddities == {"is_static_string": 9, "lat_string": 6, "list_id_string": 26}
    assert len(report.by_type) == 75
    assert len(report.files) == (86 if layout == "mixed" else 4)
    check_counts(report, read_dump(tmp_path))


REC_OBJ = {
    "event_type": "open", "event_date": "2026-10-05T10:00:00.5Z", "account_id": 23,
    "list_id": 111, "is_static": False, "event_data": {"lat": 55.75},
}  # fmt: skip
REC = orjson.dumps(REC_OBJ)
DROP = object()


def edited(**changes: object) -> bytes:
    """REC with some fields changed (to DROP: removed), its keys in the same order."""
    obj = {k: changes.get(k, v) for k, v in REC_OBJ.items()}
    return orjson.dumps({k: v for k, v in obj.items() if v is not DROP})


@pytest.mark.parametrize(("kind", "r", "expected"), [
    ("invalid_json", 0, REC.replace(b'"open",', b'"open" ')),
    ("truncated_line", 0, b'{"event_type":"open","even'),  # 20 % of 134 bytes
    ("not_object", 0, orjson.dumps(REC.decode())),  # double-encoded
    ("not_object", 1, b"[" + REC + b"]"),
    ("not_object", 2, b"null"),
    ("missing_event_type", 0, edited(event_type=DROP)),
    ("empty_event_type", 0, edited(event_type="")),
    ("missing_event_date", 0, edited(event_date=DROP)),
    ("invalid_event_date", 0, edited(event_date="2026-13-45T10:00:00.5Z")),
    ("invalid_event_date", 1, edited(event_date="2026-10-05 25:61:00")),
    ("invalid_event_date", 2, edited(event_date="yesterday")),
    ("event_date_number", 5, edited(event_date=1_790_000_005)),
    ("account_id_string", 0, edited(account_id="23")),
    ("account_id_missing", 0, edited(account_id=DROP)),
])  # fmt: skip
def test_malformed_records(kind: str, r: int, expected: bytes) -> None:
    bad = defects.make_malformed(REC, kind, r, 0)
    assert bad == expected
    if kind in ("invalid_json", "truncated_line"):
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(bad)
        assert line_defect(bad) == kind
    else:
        assert defect(orjson.loads(bad)) == kind


def test_oddities_and_reserialized_copies() -> None:
    odd = defects.apply_oddity
    assert odd(REC, 0, 0) == (edited(list_id="abc"), 0)
    assert odd(REC, 1, 0) == (edited(is_static="false"), 1)
    assert odd(REC, 2, 0) == (edited(event_data={"lat": "55.75"}), 2)
    # the next applicable kind when the drawn one does not apply; none at all
    assert odd(b'{"is_static":true}', 0, 0) == (b'{"is_static":"true"}', 1)
    assert odd(b'{"event_type":"x"}', 0, 0) == (b'{"event_type":"x"}', -1)
    assert [oddity(orjson.loads(odd(REC, k, 0)[0])) for k in range(3)] == list(defects.ODDITY_KINDS)
    assert defect(REC_OBJ) is None and oddity(REC_OBJ) is None
    # a re-serialized duplicate: the same object with its keys sorted, or (for a producer that
    # sorts its keys) in reverse order
    assert defects.reserialize(REC, 0) == orjson.dumps(REC_OBJ, option=orjson.OPT_SORT_KEYS)
    resorted = orjson.loads(defects.reserialize(REC, orjson.OPT_SORT_KEYS))
    assert resorted == REC_OBJ and list(resorted) == list(REC_OBJ)[::-1]


def test_truncated_gzip(tmp_path: Path, monkeypatch) -> None:
    from orchestration.generate import api

    monkeypatch.setattr(api, "TRUNCATE_MIN_EVENTS", 1_000)
    report = generate_dumps(tmp_path, 30_000, seed=3, days=4)
    assert report.malformed["truncated_gzip"] == 1
    ((path, info),) = report.truncated.items()
    assert path.endswith(".ndjson.gz")
    assert 0 < info["records_readable"] < info["records_written"]
    with pytest.raises(EOFError):
        gzip.decompress((tmp_path / path).read_bytes())
    check_counts(report, read_dump(tmp_path))


def test_no_defects_when_rates_are_zero(tmp_path: Path) -> None:
    report = generate_dumps(
        tmp_path, 5_000, seed=2, days=5, duplicate_rate=0, late_rate=0, malformed_rate=0
    )
    assert (report.duplicates, report.late, report.malformed, report.oddities) == (0, 0, {}, {})
    check_counts(report, read_dump(tmp_path))
