"""The record rules of contract section 3, case by case: which record is rejected with which
reason, and what is kept; through the parser and through a whole ingest."""

from __future__ import annotations

import pytest

from orchestration.ingest import ingest, parse
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import rejects_by_position

# fmt: off
RECORD_RULES: list[tuple[str, str, str | None]] = [
    # (case, the record as it stands in a dump, the reason it is rejected with, or None: kept)
    # Contract section 3, rule 1: not a JSON object.
    ("array", "[1, 2]",
     "not a JSON object (the record is an array)"),
    ("array of a sound record",
     '[{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23}]',
     "not a JSON object (the record is an array)"),
    ("string", '"just a string"',
     "not a JSON object (the record is a string)"),
    ("integer", "42",
     "not a JSON object (the record is a number)"),
    ("float", "4.5",
     "not a JSON object (the record is a number)"),
    ("boolean", "true",
     "not a JSON object (the record is a boolean)"),
    ("null", "null",
     "not a JSON object (the record is null)"),
    ("cut mid-object", '{"event_type": "deliv", "event_date":',
     "not valid JSON: unexpected end of data: line 1 column 38 (char 37)"),
    ("not JSON", "not json",
     "not valid JSON: invalid literal, expected 'null': line 1 column 1 (char 0)"),
    ("single quotes", "{'event_type': 'deliv'}",
     "not valid JSON: unexpected character, expected a string key: line 1 column 2 (char 1)"),
    ("trailing comma",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23,}',
     "not valid JSON: trailing comma is not allowed: line 1 column 74 (char 73)"),
    # Rule 2: event_type missing or not a non-empty string.
    ("event_type missing", '{"event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type is missing"),
    ("empty object", "{}",
     "event_type is missing"),
    ("event_type empty", '{"event_type":"","event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not an empty one"),
    ("event_type whitespace",
     '{"event_type":" \\t\\u00a0","event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not an empty one"),
    ("event_type null", '{"event_type":null,"event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not null"),
    ("event_type number", '{"event_type":5,"event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not a number"),
    ("event_type boolean",
     '{"event_type":true,"event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not a boolean"),
    ("event_type array",
     '{"event_type":["deliv"],"event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not an array"),
    ("event_type object",
     '{"event_type":{"name":"deliv"},"event_date":"2026-10-01T12:00:00Z","account_id":23}',
     "event_type must be a non-empty string, not an object"),
    # Rule 3: event_date missing or not an RFC 3339 timestamp.
    ("event_date missing", '{"event_type":"deliv","account_id":23}',
     "event_date is missing"),
    ("event_date null", '{"event_type":"deliv","event_date":null,"account_id":23}',
     "event_date must be an RFC 3339 string, not null"),
    ("event_date epoch seconds", '{"event_type":"deliv","event_date":1790856000,"account_id":23}',
     "event_date must be an RFC 3339 string, not a number"),
    ("event_date object",
     '{"event_type":"deliv","event_date":{"seconds":1790856000},"account_id":23}',
     "event_date must be an RFC 3339 string, not an object"),
    ("event_date empty", '{"event_type":"deliv","event_date":"","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: "),
    ("event_date a day", '{"event_type":"deliv","event_date":"2026-10-01","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01"),
    ("event_date no offset",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00:00"),
    ("event_date no seconds",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00Z","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00Z"),
    ("event_date offset without colon",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00+0300","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00:00+0300"),
    ("event_date ten fractional digits",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00.1234567890Z","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00:00.1234567890Z"),
    ("event_date dot without digits",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00.Z","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00:00.Z"),
    ("event_date trailing space",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z ","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00:00Z "),
    ("event_date month 13",
     '{"event_type":"deliv","event_date":"2026-13-01T12:00:00Z","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-13-01T12:00:00Z"),
    ("event_date February 30",
     '{"event_type":"deliv","event_date":"2026-02-30T12:00:00Z","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-02-30T12:00:00Z"),
    ("event_date hour 25",
     '{"event_type":"deliv","event_date":"2026-10-01T25:00:00Z","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T25:00:00Z"),
    ("event_date offset of 24 hours",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00+24:00","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 2026-10-01T12:00:00+24:00"),
    ("event_date day first",
     '{"event_type":"deliv","event_date":"01.10.2026 12:00:00","account_id":23}',
     "event_date is not a valid RFC 3339 timestamp: 01.10.2026 12:00:00"),
    # Rule 4: account_id missing or not an integer (a 64-bit one: bronze types it BIGINT).
    ("account_id missing", '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z"}',
     "account_id is missing"),
    ("account_id null",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":null}',
     "account_id must be an integer, not null"),
    ("account_id string",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":"23"}',
     "account_id must be an integer, not a string"),
    ("account_id true",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":true}',
     "account_id must be an integer, not a boolean"),
    ("account_id false",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":false}',
     "account_id must be an integer, not a boolean"),
    ("account_id fraction",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23.5}',
     "account_id must be an integer, not a number"),
    ("account_id float",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23.0}',
     "account_id must be an integer, not a number"),
    ("account_id exponent",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":1e2}',
     "account_id must be an integer, not a number"),
    ("account_id array",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":[23]}',
     "account_id must be an integer, not an array"),
    ("account_id 2**63",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":9223372036854775808}',
     "account_id is outside the 64-bit integer range"),
    ("account_id 2**64 - 1",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":18446744073709551615}',
     "account_id is outside the 64-bit integer range"),
    # Several rules broken: the first in the order above names the reason, and the types of
    # the envelope are checked before the form of the date.
    ("event_type and account_id",
     '{"event_type":"","event_date":"2026-10-01T12:00:00Z","account_id":"23"}',
     "event_type must be a non-empty string, not an empty one"),
    ("event_date form and account_id",
     '{"event_type":"deliv","event_date":"yesterday","account_id":"23"}',
     "account_id must be an integer, not a string"),
    # Kept: everything no rule rejects.
    ("sound", '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23}',
     None),
    ("unknown event type and keys",
     '{"event_type":"cart_abandoned","event_date":"2026-10-01T12:00:00Z","account_id":23,'
     '"brand_new":{"nested":[1,{"deep":true}]}}',
     None),
    ("event_type padded",
     '{"event_type":" deliv ","event_date":"2026-10-01T12:00:00Z","account_id":23}',
     None),
    ("event_type not ASCII",
     '{"event_type":"доставка","event_date":"2026-10-01T12:00:00Z","account_id":23}',
     None),
    ("event_date offset",
     '{"event_type":"deliv","event_date":"2026-10-01T15:00:00+03:00","account_id":23}',
     None),
    ("event_date negative offset",
     '{"event_type":"deliv","event_date":"2026-10-01T07:00:00-05:00","account_id":23}',
     None),
    ("event_date lower-case t and z",
     '{"event_type":"deliv","event_date":"2026-10-01t12:00:00z","account_id":23}',
     None),
    ("event_date space for T",
     '{"event_type":"deliv","event_date":"2026-10-01 12:00:00Z","account_id":23}',
     None),
    ("event_date one fractional digit",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00.5Z","account_id":23}',
     None),
    ("event_date nine fractional digits",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00.123456789Z","account_id":23}',
     None),
    ("account_id zero", '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":0}',
     None),
    ("account_id negative",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":-7}',
     None),
    ("account_id 2**63 - 1",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":9223372036854775807}',
     None),
    ("account_id -(2**63)",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":-9223372036854775808}',
     None),
    ("optional fields of the wrong type",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23,'
     '"list_id":"abc","is_test":"yes","event_data":[1]}',
     None),
    ("optional fields null",
     '{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":23,'
     '"list_id":null,"profile_id":null}',
     None),
]
# fmt: on
"""The record rules of contract section 3, case by case, each written out by hand."""


@pytest.mark.parametrize(
    ("raw", "reason"), [pytest.param(raw, reason, id=case) for case, raw, reason in RECORD_RULES]
)
def test_the_record_rules_reject_with_their_reason_and_keep_the_rest(
    raw: str, reason: str | None
) -> None:
    parsed = parse.parse_records([7], [raw.encode()])
    if reason is None:
        assert parsed.rejects.height == 0
        assert parsed.kept.select("position", "record").rows() == [(7, raw)]
    else:
        assert parsed.kept.height == 0
        assert parsed.rejects.rows() == [(7, raw, reason)]


def test_each_reject_rule_keeps_file_line_raw_text_and_reason(home: DataHome) -> None:
    # Every case of RECORD_RULES, one per line of one dump, with a blank line among them.
    lines = [raw for _, raw, _ in RECORD_RULES]
    lines.insert(3, "")  # line 4: blank, skipped, not a record
    write_landing(home, "kafka/part-0001.ndjson", "\n".join(lines) + "\n")
    report = ingest(home, workers=1)

    reasons = {n: reason for n, (_, _, reason) in enumerate(RECORD_RULES, start=1)}
    positions = {n + (n >= 4): reason for n, reason in reasons.items()}  # after the blank line
    rejected = {position: reason for position, reason in positions.items() if reason}
    kept_at = [position for position, reason in positions.items() if reason is None]
    assert (report.records, report.kept, report.rejected) == (
        len(RECORD_RULES), len(kept_at), len(rejected),
    )  # fmt: skip
    assert rejects_by_position(home, "kafka/part-0001.ndjson") == rejected
    rejects = bronze_table(home, "hook_rejects").sort("position")
    assert rejects["raw"].to_list() == [lines[position - 1] for position in rejected]
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["position"].to_list() == kept_at
    assert kept["record"].to_list() == [lines[position - 1] for position in kept_at]
