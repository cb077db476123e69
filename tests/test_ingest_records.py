"""Kept records, rule by rule (contract section 3): kept whole, typed, keyed, stamped in UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from xxhash import xxh3_128_hexdigest

from orchestration import bronze_layout
from orchestration.ingest import bronze, ingest, parse
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position


def test_json_batches_report_element_indexes_and_accept_a_single_object(home: DataHome) -> None:
    batch = [event(), 42, event(event_type=""), event(event_type="open")]
    write_landing(home, "http/batch.json", json.dumps(batch))
    write_landing(home, "http/single.json", json.dumps(event(event_type="click")))
    write_landing(home, "http/empty-batch.json", "[]")
    report = ingest(home, workers=1)

    assert (report.records, report.kept, report.rejected) == (5, 3, 2)
    assert rejects_by_position(home, "http/batch.json") == {
        2: "not a JSON object (the record is a number)",
        3: "event_type must be a non-empty string, not an empty one",
    }
    kept = bronze_table(home, "hook_events")
    single = kept.filter(pl.col("source_file") == "http/single.json")
    assert single["position"].to_list() == [1]
    batch_kept = kept.filter(pl.col("source_file") == "http/batch.json").sort("position")
    assert batch_kept["position"].to_list() == [1, 4]


def test_every_kept_record_is_kept_whole_with_unknown_keys(home: DataHome) -> None:
    original = event(
        brand_new_key={"nested": [1, 2, {"deep": True}]},
        custom_data={"email": "alice@example.org"},
        subscription=[{"resource_id": 3, "channel": "email", "status": "subscribed"}],
    )
    text = json.dumps(original, indent=None)
    write_landing(home, "a.ndjson", text + "\n")
    ingest(home, workers=1)
    kept = bronze_table(home, "hook_events")
    assert kept.height == 1
    assert kept["record"].item() == text
    assert json.loads(kept["record"].item()) == original


def test_wrong_typed_optional_fields_become_null_and_are_counted(home: DataHome) -> None:
    lines = [
        line(event(list_id="abc")),
        line(event(is_test="yes", profile_id=12345)),
        line(event(event_data="not an object")),
        line(event(list_id=2**70)),  # beyond 64 bits
        line(event(list_id=None, is_test=None)),  # null is absent, not wrong
        line(event()),
    ]
    write_landing(home, "a.ndjson", "\n".join(lines))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected, report.type_errors) == (6, 0, 4)
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["list_id"].to_list() == [None, 111, 111, None, None, 111]
    assert kept["is_test"].to_list() == [False, None, False, False, None, False]
    assert kept["profile_id"][1] is None
    assert kept["type_errors"].to_list() == [
        ["list_id"], ["profile_id", "is_test"], ["event_data"], ["list_id"], None, None,
    ]  # fmt: skip
    assert json.loads(kept["record"][0])["list_id"] == "abc"  # the original survives
    manifest = bronze.read_manifest(home.bronze)
    assert manifest["type_errors"].to_list() == [4]


def test_every_other_json_type_in_a_string_or_boolean_field_is_a_type_error(
    home: DataHome,
) -> None:
    # Polars' strict String and Boolean columns do this check: each field gets each JSON
    # type it does not take, in a block whose other rows are sound.
    others: dict[str, object] = {
        "a number": 7, "a float": 1.5, "an object": {"x": 1}, "an array": ["x"],
    }  # fmt: skip
    strings = ["profile_id", "_xxh", "_md5", "subscription_hash_id"]
    lines = [line(event())]
    for name in strings:
        lines += [line(event(**{name: value})) for value in [*others.values(), True]]
    for name in ["is_test", "is_static"]:
        lines += [line(event(**{name: value})) for value in [*others.values(), "yes", 0]]
    write_landing(home, "a.ndjson", "\n".join(lines))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected, report.type_errors) == (33, 0, 32)
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["type_errors"].to_list() == [
        None, *[[name] for name in strings for _ in range(5)],
        *[[name] for name in ["is_test", "is_static"] for _ in range(6)],
    ]  # fmt: skip
    assert kept["profile_id"].null_count() == 5  # the sound value of the other rows stays
    for name in ["_xxh", "_md5", "subscription_hash_id", "is_static"]:
        assert kept[name].null_count() == kept.height
    assert kept["is_test"].to_list() == [False] * 21 + [None] * 6 + [False] * 6


def test_integers_beyond_64_bits_are_type_errors_even_after_sound_records(home: DataHome) -> None:
    # orjson decodes integers up to 2**64 - 1 as int, so these share their type combination
    # with the sound first record: the range check must not be skipped for them.
    lines = [
        line(event()),  # 1 sound
        line(event(list_id=2**63)),  # 2 one past int64
        line(event(list_id=-(2**63), sends_trying_num=2**64 - 1)),  # 3 min fits, max does not
        line(event(list_id=2**63, profile_id=7)),  # 4 two wrong fields, in field order
        line(event(list_id=2**63 - 1, sends_trying_num=0)),  # 5 the edges fit
        line(event(account_id=2**63)),  # 6 a required integer out of range rejects
    ]
    write_landing(home, "a.ndjson", "\n".join(lines))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected, report.type_errors) == (5, 1, 3)
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["list_id"].to_list() == [111, None, -(2**63), None, 2**63 - 1]
    assert kept["sends_trying_num"].to_list() == [None, None, None, None, 0]
    assert kept["profile_id"].to_list()[3] is None
    assert kept["type_errors"].to_list() == [
        None, ["list_id"], ["sends_trying_num"], ["list_id", "profile_id"], None,
    ]  # fmt: skip
    assert rejects_by_position(home, "a.ndjson") == {
        6: "account_id is outside the 64-bit integer range"
    }


@pytest.mark.parametrize(
    ("stamp", "utc", "day"),
    [
        ("2026-10-01T12:00:00Z", datetime(2026, 10, 1, 12, 0, tzinfo=UTC), "2026-10-01"),
        ("2026-10-01T12:00:00.5Z", datetime(2026, 10, 1, 12, 0, 0, 500000, tzinfo=UTC),
         "2026-10-01"),
        ("2026-10-01T12:00:00.123456789Z",
         datetime(2026, 10, 1, 12, 0, 0, 123456, tzinfo=UTC), "2026-10-01"),
        ("2026-10-01T01:30:00.000001+03:00",
         datetime(2026, 9, 30, 22, 30, 0, 1, tzinfo=UTC), "2026-09-30"),
        ("2026-10-01T23:30:00-05:00", datetime(2026, 10, 2, 4, 30, tzinfo=UTC), "2026-10-02"),
        ("2026-10-01t12:00:00z", datetime(2026, 10, 1, 12, 0, tzinfo=UTC), "2026-10-01"),
        # A leap second is its minute's last microsecond: it stays on the day it names.
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
         "2016-12-31"),
        ("2016-12-31T23:59:60.25Z", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
         "2016-12-31"),
        ("2017-01-01T02:59:60+03:00", datetime(2016, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
         "2016-12-31"),
    ],
)  # fmt: skip
def test_timestamps_are_normalised_to_utc_and_partitioned_by_utc_day(
    home: DataHome, stamp: str, utc: datetime, day: str
) -> None:
    write_landing(home, "a.ndjson", line(event(event_date=stamp)))
    ingest(home, workers=1)
    kept = bronze_table(home, "hook_events")
    assert kept["event_at"].item() == utc
    assert bronze_layout.bronze_table("hook_events").partition_folder(home.bronze, day).is_dir()
    assert kept["event_day"].cast(pl.String).item() == day


def test_the_same_event_with_keys_in_any_order_has_one_event_key(home: DataHome) -> None:
    first = event(event_data={"campaign_id": 1, "link_url": "https://x.example/a"})
    reordered = dict(reversed(list(first.items())))
    reordered["event_data"] = {"link_url": "https://x.example/a", "campaign_id": 1}
    different = event(event_data={"campaign_id": 2, "link_url": "https://x.example/a"})
    write_landing(home, "one.ndjson", f"{line(first)}\n{line(reordered)}\n")
    write_landing(home, "two.json", json.dumps([reordered, different]))
    ingest(home, workers=1)
    keys = bronze_table(home, "hook_events")["event_key"].to_list()
    assert len(keys) == 4  # bronze keeps every delivery ...
    assert len(set(keys)) == 2  # ... and the key makes a redelivered event count once


def test_the_event_key_is_xxh3_128_of_the_sorted_compact_json(home: DataHome) -> None:
    record = '{"event_type":"open","account_id":1,"event_date":"2026-10-01T12:00:00Z",' \
        '"event_data":{"z":[{"b":1,"a":2}],"campaign_id":5}}'  # fmt: skip
    write_landing(home, "a.ndjson", record)
    ingest(home, workers=1)
    canonical = (
        b'{"account_id":1,"event_data":{"campaign_id":5,"z":[{"a":2,"b":1}]},'
        b'"event_date":"2026-10-01T12:00:00Z","event_type":"open"}'
    )
    assert bronze_table(home, "hook_events")["event_key"].item() == xxh3_128_hexdigest(canonical)


def test_whitespace_only_event_types_are_empty(home: DataHome) -> None:
    write_landing(home, "a.ndjson", "\n".join([line(event(event_type=" \t\u00a0")), line(event())]))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (1, 1)
    assert rejects_by_position(home, "a.ndjson") == {
        1: "event_type must be a non-empty string, not an empty one"
    }


def test_padded_crlf_and_blank_lines_keep_their_line_numbers(home: DataHome) -> None:
    text = "\r\n".join(
        [line(event(list_id=1)), "   ", f"  {line(event(list_id=3))}\t", line(event(list_id=4))]
    )
    write_landing(home, "a.ndjson", text + "\r\n")
    report = ingest(home, workers=1)
    assert (report.records, report.kept, report.rejected) == (3, 3, 0)
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["position"].to_list() == [1, 3, 4]
    assert kept["list_id"].to_list() == [1, 3, 4]
    assert kept["record"].to_list()[1] == line(event(list_id=3))  # without the padding


def test_records_on_both_sides_of_a_parse_chunk_keep_their_outcomes(home: DataHome) -> None:
    # A malformed record and a wrong-typed field in one chunk, clean chunks around them.
    lines = [line(event(event_data={"n": i})) for i in range(3 * parse.CHUNK_RECORDS)]
    lines[parse.CHUNK_RECORDS + 3] = line(event(account_id="23"))
    lines[parse.CHUNK_RECORDS + 4] = line(event(list_id="111", event_data={"n": -1}))
    lines[-1] = "not json"
    write_landing(home, "a.ndjson", "\n".join(lines))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected, report.type_errors) == (3 * parse.CHUNK_RECORDS - 2, 2, 1)
    assert rejects_by_position(home, "a.ndjson") == {
        parse.CHUNK_RECORDS + 4: "account_id must be an integer, not a string",
        3 * parse.CHUNK_RECORDS: "not valid JSON: invalid literal, expected 'null': "
        "line 1 column 1 (char 0)",
    }
    rows = bronze_table(home, "hook_events").sort("position")
    assert rows["position"].to_list() == [
        n for n in range(1, 3 * parse.CHUNK_RECORDS) if n != parse.CHUNK_RECORDS + 4
    ]
    wrong = rows.filter(pl.col("type_errors").is_not_null())
    assert wrong["position"].to_list() == [parse.CHUNK_RECORDS + 5]
    assert wrong["type_errors"].to_list() == [["list_id"]] and wrong["list_id"].to_list() == [None]
