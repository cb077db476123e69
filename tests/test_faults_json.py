"""Faults in JSON batch files, read end to end: nothing a sender writes stops the ingest, and
every record a `.json` file holds is kept or rejected (contract section 3).

Each case states its outcome by hand: which positions are kept, which are rejected and why.
"""

from __future__ import annotations

import json
import tempfile
import tracemalloc
from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orchestration.ingest import ingest, json_batch, limits
from orchestration.ingest.blocks import MAX_DAMAGE_RAW
from orchestration.ingest.report import FileResult
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position

BOM = "\ufeff"

pytestmark = pytest.mark.usefixtures("small_files_grouped_or_alone")


def ingest_file(home: DataHome, name: str) -> tuple[FileResult, list[int], dict[int, str]]:
    """Ingest the landing folder; the one file `name`: its result, kept positions, rejects."""
    report = ingest(home, workers=1)
    (result,) = [f for f in report.files if f.source_file == name]
    kept = bronze_table(home, "hook_events")
    positions = sorted(kept.filter(pl.col("source_file") == name)["position"].to_list())
    return result, positions, rejects_by_position(home, name)


def reject_raw(home: DataHome, name: str, position: int) -> str:
    rejects = bronze_table(home, "hook_rejects")
    row = rejects.filter((pl.col("source_file") == name) & (pl.col("position") == position))
    return str(row["raw"].item())


def numbered(count: int) -> list[str]:
    """`count` distinct valid events as compact JSON texts."""
    return [line(event(event_data={"campaign_id": i})) for i in range(count)]


# (a) Nesting deeper than any decoder allows.


def test_a_deeply_nested_element_is_rejected_and_the_others_kept(home: DataHome) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    write_landing(home, "deep.json", "[" + ",".join([*numbered(2), deep, *numbered(2)]) + "]")
    result, kept, rejects = ingest_file(home, "deep.json")
    assert kept == [1, 2, 4, 5]
    assert list(rejects) == [3]
    assert rejects[3].startswith("not valid JSON: depth limit exceeded")
    assert reject_raw(home, "deep.json", 3) == deep
    assert (result.records, result.kept, result.rejected, result.damaged) == (5, 4, 1, False)


@pytest.mark.parametrize(
    "body",
    ["[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000],
    ids=["array", "object"],
)
def test_a_whole_body_nested_10000_deep_is_one_rejected_record(home: DataHome, body: str) -> None:
    write_landing(home, "deep.json", body)
    result, kept, rejects = ingest_file(home, "deep.json")
    assert kept == []
    assert list(rejects) == [1]
    assert "depth limit exceeded" in rejects[1]
    assert (result.records, result.rejected) == (1, 1)


# (b) A UTF-8 byte-order mark.


@pytest.mark.parametrize("gz", [False, True], ids=["json", "json.gz"])
@pytest.mark.parametrize("scanned", [False, True], ids=["one-call", "scanned"])
def test_a_leading_byte_order_mark_is_skipped(
    home: DataHome, monkeypatch: pytest.MonkeyPatch, gz: bool, scanned: bool
) -> None:
    if scanned:
        monkeypatch.setattr(json_batch, "WHOLE_JSON_LIMIT", 100)
    name = "bom.json.gz" if gz else "bom.json"
    write_landing(home, name, BOM + "[" + ",".join(numbered(3)) + "]", gz=gz)
    result, kept, rejects = ingest_file(home, name)
    assert (kept, rejects, result.damaged) == ([1, 2, 3], {}, False)


def test_a_single_object_after_a_byte_order_mark_is_kept(home: DataHome) -> None:
    write_landing(home, "one.json", BOM + line(event()))
    _, kept, rejects = ingest_file(home, "one.json")
    assert (kept, rejects) == ([1], {})


# (c) Several values in one file, and broken elements: every record accounted for.


def test_ndjson_content_in_a_json_file_yields_every_line(home: DataHome) -> None:
    write_landing(home, "lines.json", "\n".join(numbered(1000)) + "\n")
    result, kept, rejects = ingest_file(home, "lines.json")
    assert kept == list(range(1, 1001))
    assert rejects == {}
    assert (result.records, result.damaged) == (1000, False)


def test_a_broken_line_of_ndjson_content_is_rejected_alone(home: DataHome) -> None:
    lines = numbered(1000)
    broken = lines[499][:40]  # a crashed writer: line 500 cut short
    lines[499] = broken
    write_landing(home, "lines.json", "\n".join(lines) + "\n")
    result, kept, rejects = ingest_file(home, "lines.json")
    assert kept == [p for p in range(1, 1001) if p != 500]
    assert list(rejects) == [500]
    assert rejects[500].startswith("not valid JSON")
    assert reject_raw(home, "lines.json", 500) == broken
    assert (result.records, result.kept, result.rejected) == (1000, 999, 1)


@pytest.mark.parametrize(
    "separator", ["", "\n", " \r\n\t"], ids=["back-to-back", "newline", "spaces"]
)
def test_concatenated_arrays_and_objects_all_count(home: DataHome, separator: str) -> None:
    texts = numbered(6)
    values = ["[" + ",".join(texts[:3]) + "]", "[" + ",".join(texts[3:5]) + "]", texts[5]]
    write_landing(home, "concat.json", separator.join(values))
    result, kept, rejects = ingest_file(home, "concat.json")
    assert (kept, rejects) == ([1, 2, 3, 4, 5, 6], {})
    assert (result.records, result.damaged) == (6, False)


def test_a_scanned_batch_larger_than_the_window_keeps_every_element(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More space between elements than an element is long: each time the window moves on,
    # it moves again while the next element is being cut.
    monkeypatch.setattr(json_batch, "WHOLE_JSON_LIMIT", 100)
    texts = numbered(12_000)
    write_landing(home, "spaced.json", "[" + (",\n" + " " * 400).join(texts) + "]")
    result, kept, rejects = ingest_file(home, "spaced.json")
    assert (kept, rejects) == (list(range(1, 12_001)), {})
    assert not result.damaged


def test_a_broken_element_in_the_middle_of_a_large_array_loses_nothing_else(
    home: DataHome,
) -> None:
    texts = numbered(30_000)
    broken = texts[14_999][:-5]  # element 15,000 lost its last 5 characters
    texts[14_999] = broken
    write_landing(home, "big.json", "[" + ",".join(texts) + "]")
    result, kept, rejects = ingest_file(home, "big.json")
    assert kept == [p for p in range(1, 30_001) if p != 15_000]
    assert list(rejects) == [15_000]
    assert rejects[15_000].startswith("not valid JSON")
    assert reject_raw(home, "big.json", 15_000) == broken
    assert (result.records, result.kept, result.rejected) == (30_000, 29_999, 1)
    assert not result.damaged


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ('{"event_type": "deliv", "account_id": undefined}', "not a JSON literal"),
        ('{"event_type": "de', "cut inside a string"),
        ('{"event_type": "x", "event_data": {"list": [{"a": 1}, {"b": 2}], "c": }', "bad value"),
        ("{'event_type': 'deliv'}", "single quotes"),
    ],
)
def test_a_broken_element_of_a_pretty_printed_scanned_batch_is_rejected_with_its_text(
    home: DataHome, monkeypatch: pytest.MonkeyPatch, broken: str, why: str
) -> None:
    monkeypatch.setattr(json_batch, "WHOLE_JSON_LIMIT", 100)  # the scanner, not one call
    texts = [json.dumps(event(event_data={"campaign_id": i}), indent=2) for i in range(5)]
    texts[2] = broken
    write_landing(home, "pretty.json", "[\n" + ",\n".join(texts) + "\n]\n")
    result, kept, rejects = ingest_file(home, "pretty.json")
    assert kept == [1, 2, 4, 5], why
    assert list(rejects) == [3]
    assert rejects[3].startswith("not valid JSON")
    assert reject_raw(home, "pretty.json", 3) == broken
    assert (result.records, result.damaged) == (5, False)


def test_a_record_cut_inside_a_list_of_ids_is_one_reject(home: DataHome) -> None:
    # After the cut, ", 2" looks like the next element; the records that follow say otherwise.
    a, b, c = numbered(3)
    broken = '{"event_type": "deliv", "message_ids": [1, 2'
    write_landing(home, "ids.json", f"[{a},{broken}, {b}, {c}]")
    result, kept, rejects = ingest_file(home, "ids.json")
    assert kept == [1, 3, 4]
    assert list(rejects) == [2]
    assert reject_raw(home, "ids.json", 2) == broken
    assert (result.records, result.damaged) == (4, False)


def test_text_after_an_element_belongs_to_it(home: DataHome) -> None:
    # Text up to the next ',' is the element's: what broke it may have left a whole prefix.
    a, b, c = numbered(3)
    write_landing(home, "junk.json", f"[{a},{b} oops!,{c}]")
    result, kept, rejects = ingest_file(home, "junk.json")
    assert kept == [1, 3]
    assert list(rejects) == [2]
    assert rejects[2].startswith("not valid JSON")
    assert reject_raw(home, "junk.json", 2) == b + " oops!"
    assert (result.records, result.kept, result.rejected, result.damaged) == (3, 2, 1, False)


def test_text_after_the_last_value_is_one_damage_that_counts_its_bytes(home: DataHome) -> None:
    a, b = numbered(2)
    write_landing(home, "tail.json", f"[{a},{b}] trailing garbage")
    result, kept, rejects = ingest_file(home, "tail.json")
    assert kept == [1, 2]
    assert list(rejects) == [3]
    assert "16 bytes of the file were skipped" in rejects[3]
    assert reject_raw(home, "tail.json", 3) == "trailing garbage"
    assert (result.records, result.rejected, result.damaged) == (3, 1, True)


def test_a_batch_cut_mid_element_counts_the_bytes_it_could_not_read(home: DataHome) -> None:
    texts = numbered(4)
    cut = "[" + ",".join(texts[:3]) + "," + texts[3][:30]
    write_landing(home, "cut.json", cut)
    result, kept, rejects = ingest_file(home, "cut.json")
    assert kept == [1, 2, 3]
    assert list(rejects) == [4]
    assert "element 4" in rejects[4] and "the last 30 bytes of the file were skipped" in rejects[4]
    assert (result.records, result.damaged) == (4, True)


# (d) An element above MAX_RECORD_BYTES.


def test_an_element_above_the_record_limit_is_rejected_with_its_start(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 100_000)
    big = line(event(event_data={"pad": "x" * 200_000}))
    write_landing(home, "big.json", "[" + ",".join([*numbered(2), big, *numbered(1)]) + "]")
    result, kept, rejects = ingest_file(home, "big.json")
    assert kept == [1, 2, 4]
    assert rejects == {
        3: f"record_too_large: {len(big):,} bytes, above MAX_RECORD_BYTES ({100_000:,} bytes)"
    }
    more = len(big) - MAX_DAMAGE_RAW
    assert reject_raw(home, "big.json", 3) == big[:MAX_DAMAGE_RAW] + f"... [{more} more characters]"
    assert (result.records, result.kept, result.rejected, result.damaged) == (4, 3, 1, False)


def test_a_single_object_above_the_record_limit_is_rejected(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 1000)
    big = line(event(event_data={"pad": "y" * 2000}))
    write_landing(home, "one.json", big)
    _, kept, rejects = ingest_file(home, "one.json")
    assert kept == []
    assert rejects == {
        1: f"record_too_large: {len(big):,} bytes, above MAX_RECORD_BYTES (1,000 bytes)"
    }


@pytest.mark.parametrize("read_whole", [True, False], ids=["read-whole", "streamed"])
def test_an_element_above_the_record_limit_is_not_held_whole_twice(
    home: DataHome, monkeypatch: pytest.MonkeyPatch, read_whole: bool
) -> None:
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 1 << 20)
    items = ",".join(f'{{"k": {i}, "text": "{i:060}"}}' for i in range(300_000))
    big = '{"event_type": "deliv", "items": [' + items + "]}"  # about 25 MB
    body = "[" + ",".join([numbered(1)[0], big, numbered(1)[0]]) + "]"
    # Read whole, the file is the one whole copy (a read buffer of WHOLE_JSON_LIMIT + 1 bytes).
    monkeypatch.setattr(json_batch, "WHOLE_JSON_LIMIT", len(body) + 1000 if read_whole else 1000)
    write_landing(home, "huge.json", body)
    tracemalloc.start()
    try:
        _, kept, rejects = ingest_file(home, "huge.json")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept == [1, 3]
    assert rejects == {
        2: f"record_too_large: {len(big):,} bytes, above MAX_RECORD_BYTES (1,048,576 bytes)"
    }
    assert peak < (1.5 if read_whole else 0.5) * len(big)


def test_a_file_that_ends_inside_a_too_large_element_is_damaged(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(limits, "MAX_RECORD_BYTES", 1000)
    start = '{"event_type": "deliv", "pad": "' + "z" * 3000
    write_landing(home, "cut.json", "[" + numbered(1)[0] + "," + start)
    result, kept, rejects = ingest_file(home, "cut.json")
    assert kept == [1]
    assert list(rejects) == [2]
    assert "element 2 is above MAX_RECORD_BYTES" in rejects[2]
    assert f"the last {len(start):,} bytes of the file were skipped" in rejects[2]
    assert result.damaged


# A property: whatever one element's corruption, every element is kept or rejected.

VALID = st.builds(
    event,
    event_type=st.sampled_from(["deliv", "open", "click", "é ü"]),
    account_id=st.integers(0, 10**6),
    event_data=st.fixed_dictionaries({"campaign_id": st.integers(0, 99), "s": st.text(max_size=6)}),
)
INVALID = st.one_of(
    st.builds(event, event_type=st.just("")),
    st.builds(event, event_date=st.sampled_from(["2026-13-45T00:00:00Z", "soon", "2026-10-05"])),
    st.builds(event, account_id=st.sampled_from(["23", 1.5, None])),
    st.builds(lambda: {k: v for k, v in event().items() if k != "event_type"}),
)
"""Records the parser rejects. (Elements that are no objects are left out: right after a
broken element, they are taken for the rest of a list in it; see `Window.continues`.)"""
LAYOUTS = {
    "compact": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    "spaced": lambda v: json.dumps(v, ensure_ascii=False),
    "pretty": lambda v: json.dumps(v, indent=2, ensure_ascii=False),
}


def corrupt(text: str, kind: str, at: float, junk: str) -> str:
    """One record's text, damaged: cut short, a character replaced or added, or nested deep."""
    where = int(at * len(text))
    if kind == "cut":
        return text[: max(1, min(where, len(text) - 1))]
    if kind == "replace":
        return text[:where] + junk + text[where + 1 :]
    if kind == "insert":  # Not before the first character: a '[' there would hold the rest.
        return text[: max(1, where)] + junk + text[max(1, where) :]
    return "[" * 5000 + "]" * 5000


@settings(max_examples=20, deadline=None)
@given(
    elements=st.lists(
        st.one_of(VALID.map(lambda v: (True, v)), INVALID.map(lambda v: (False, v))),
        min_size=1,
        max_size=12,
    ),
    layout=st.sampled_from(sorted(LAYOUTS)),
    bom=st.booleans(),
    gz=st.booleans(),
    damage=st.tuples(
        st.integers(0, 11),
        st.sampled_from(["cut", "replace", "insert", "deep"]),
        st.floats(0, 1, exclude_max=True),
        st.sampled_from(list("#x'\"{}[]:,\\ ")),
    ),
)
@example(  # found by CI: the inserted '}' closes the element, its rest is a second record
    elements=[(False, {"event_type": "deliv", "event_date": "2026-10-01T12:00:00.123456789Z",
                       "account_id": "23", "profile_id": "66f66973096b3b454bbbccec",
                       "list_id": 111, "is_test": False,
                       "event_data": {"campaign_id": 973, "message_id": 17}})],
    layout="compact", bom=False, gz=False, damage=(0, "insert", 0.41796875, "}"),
)  # fmt: skip
def test_every_element_of_a_batch_with_one_damaged_element_is_kept_or_rejected(
    elements: list[tuple[bool, object]], layout: str, bom: bool, gz: bool,
    damage: tuple[int, str, float, str],
) -> None:  # fmt: skip
    texts = [LAYOUTS[layout](value) for _, value in elements]
    index, kind, at, junk = damage
    index %= len(texts)
    texts[index] = corrupt(texts[index], kind, at, junk)
    separator = ",\n" if layout == "pretty" else ","
    body = (BOM if bom else "") + "[" + separator.join(texts) + "]"
    with tempfile.TemporaryDirectory() as folder:
        home = DataHome(Path(folder) / "home")
        home.landing.mkdir(parents=True)
        name = "batch.json.gz" if gz else "batch.json"
        write_landing(home, name, body, gz=gz)
        result, kept, _ = ingest_file(home, name)
    if kind in ("cut", "deep"):
        assert result.kept + result.rejected == len(texts)
    else:
        # One character more or changed can end the element early ('}' inside it: its rest is
        # one more, broken record) or open a string that takes what follows into one
        # rejection ('"'): the count moves, and the text is still kept or rejected.
        assert result.kept + result.rejected >= 1
    valid_before = {i + 1 for i, (valid, _) in enumerate(elements[:index]) if valid}
    assert valid_before <= set(kept)
