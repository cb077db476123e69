"""What the fuzzer of tests/test_faults_fuzz.py found, each case written out by hand (contract
section 3): every element of a JSON batch is kept or rejected at its own position, whatever
an element holds, and no record stops the run."""

from __future__ import annotations

import json

import pytest

from orchestration.ingest import ingest, readers
from orchestration.ingest.blocks import ElementBlock
from orchestration.ingest.discover import Format, LandingFile
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position

NOT_AN_OBJECT = "not a JSON object (the record is "


def kept_positions(home: DataHome, name: str) -> list[int]:
    return sorted(bronze_table(home, "hook_events")["position"].to_list())


def with_raw(key: str, raw: str) -> str:
    """An event whose `key` holds the JSON text `raw`."""
    return line(event(**{key: "@"})).replace('"@"', raw)


def test_an_integer_of_more_than_4300_digits_keeps_every_element_of_a_batch_in_its_place(
    home: DataHome,
) -> None:
    # Python's int() refuses more than 4,300 digits: the scan took the element for broken JSON,
    # and its resync took the `true` after it for the rest of it: one record, not two, and
    # every later element one position up.
    elements = [with_raw("list_id", "9" * 5000), "true", line(event()), line(event())]
    write_landing(home, "a.json", "[" + ",\n".join(elements) + "]")
    report = ingest(home, workers=1)
    assert kept_positions(home, "a.json") == [1, 3, 4]
    rejects = rejects_by_position(home, "a.json")
    assert list(rejects) == [2] and rejects[2].startswith(NOT_AN_OBJECT)
    assert (report.records, report.type_errors) == (4, 1)  # list_id is NULL


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_an_element_nested_deeper_than_the_decoder_keeps_the_next_values_in_their_places(
    home: DataHome, opener: str
) -> None:
    # The scan's resync took the values after a deep element for the rest of a broken record:
    # `null` here was swallowed, and every later element moved up one position.
    closer = "]" if opener == "[" else "}"
    deep = with_raw("event_data", opener * 3000 + "1" + closer * 3000)
    write_landing(home, "a.json", "[" + ",".join([deep, "null", line(event()), "7"]) + "]")
    report = ingest(home, workers=1)
    assert kept_positions(home, "a.json") == [3]
    rejects = rejects_by_position(home, "a.json")
    assert sorted(rejects) == [1, 2, 4] and not report.files[0].damaged
    assert "depth limit exceeded" in rejects[1]
    assert rejects[2].startswith(NOT_AN_OBJECT) and rejects[4].startswith(NOT_AN_OBJECT)


@pytest.mark.parametrize("body", [b"\xff\xfe garbage \x80", b"[{}, \xc3\x28 x]", b'["\xff'])
def test_a_json_file_with_bytes_that_are_not_utf8_is_rejected_not_a_crash(
    home: DataHome, body: bytes
) -> None:
    # A damage's raw text held the window's surrogates, which Polars refused: the run stopped.
    (home.landing / "bad.json").write_bytes(body)
    report = ingest(home, workers=1)
    (result,) = report.files
    assert result.records == result.kept + result.rejected == result.rejected >= 1
    raws = bronze_table(home, "hook_rejects")["raw"].to_list()
    assert any("\ufffd" in raw for raw in raws)


def test_an_element_nested_deeper_than_orjson_writes_is_handed_on_with_its_text(
    home: DataHome,
) -> None:
    # orjson reads 1024 levels but writes 255: re-encoding the elements of a batch parsed in
    # one call raised TypeError out of the reader. The elements are scanned instead.
    deep = with_raw("event_data", "[" * 300 + "]" * 300)
    elements = [line(event()), deep, line(event(list_id=2))]
    path = write_landing(home, "a.json", "[" + ",".join(elements) + "]")
    blocks = list(readers.read_blocks(LandingFile(path, "a.json", Format.JSON, False)))
    assert all(isinstance(block, ElementBlock) for block in blocks)
    got = [
        (p, r)
        for b in blocks
        if isinstance(b, ElementBlock)
        for p, r in zip(b.positions, b.raws, strict=True)
    ]
    assert [p for p, _ in got] == [1, 2, 3]
    assert [json.loads(raw) for _, raw in got] == [json.loads(text) for text in elements]


@pytest.mark.parametrize("suffix", [".ndjson", ".json"])
def test_a_record_nested_300_levels_is_kept_or_rejected_and_does_not_stop_the_run(
    home: DataHome, suffix: str
) -> None:
    deep = with_raw("event_data", "[" * 300 + "]" * 300)
    body = deep + "\n" + line(event()) if suffix == ".ndjson" else f"[{deep},{line(event())}]"
    write_landing(home, "a" + suffix, body)
    report = ingest(home, workers=1)
    assert (report.records, report.kept + report.rejected) == (2, 2)
