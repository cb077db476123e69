"""Faults that stopped or fooled an ingest, written out by hand (contract section 3): event dates
outside years 1 to 9999 in UTC, integers beyond 64 bits, file names that are not UTF-8, landing
entries that cannot be read. Every record ends kept or rejected with a reason; every entry not
read is named with its reason in the report, the asset metadata, the summary and the run log."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from xxhash import xxh3_128_hexdigest

from orchestration.ingest import bronze, ingest
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position

OUT_OF_RANGE = "event_date is outside the years 1 to 9999 once in UTC: "
OUT_OF_INT64 = "account_id is outside the 64-bit integer range"
NOT_READ = "landing entries not read (each is looked at again next run)"
BIG = 123456789012345678901234567890


# (1) Event dates whose UTC instant is outside years 1 to 9999.


def test_event_dates_outside_years_1_to_9999_in_utc_are_rejected_and_the_rest_ingested(
    home: DataHome,
) -> None:
    dates = [
        "0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",  # 1, 2: year 0, 10000 in UTC
        "0000-01-01T00:00:00Z",  # 3: year 0
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",  # 4, 5: the first instant bronze holds
        "9999-12-31T23:59:59.999999999Z",  # 6: the last microsecond (nanoseconds are cut)
        "0001-01-01T00:30:00-01:00", "9999-12-31T23:59:59+01:00",  # 7, 8: inside, in UTC
        "2026-10-01T12:00:00Z",  # 9
    ]  # fmt: skip
    write_landing(home, "edges.ndjson", "\n".join(line(event(event_date=d)) for d in dates))
    batch = [event(event_date="0000-12-31T23:59:59Z"), event(event_type="click")]
    write_landing(home, "http/batch.json", json.dumps(batch))
    write_landing(home, "later.ndjson", line(event(event_type="open")))
    report = ingest(home, workers=1)

    assert (report.records, report.kept, report.rejected) == (12, 8, 4)
    rejected = {n: OUT_OF_RANGE + dates[n - 1] for n in (1, 2, 3)}
    assert rejects_by_position(home, "edges.ndjson") == rejected
    assert rejects_by_position(home, "http/batch.json") == {
        1: OUT_OF_RANGE + batch[0]["event_date"]
    }
    events = bronze_table(home, "hook_events")
    kept = events.filter(pl.col("source_file") == "edges.ndjson").sort("position")
    assert kept["position"].to_list() == [4, 5, 6, 7, 8, 9]
    assert kept["event_at"].to_list() == [
        datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1, 1, 1, 1, 30, tzinfo=UTC), datetime(9999, 12, 31, 22, 59, 59, tzinfo=UTC),
        datetime(2026, 10, 1, 12, tzinfo=UTC),
    ]  # fmt: skip
    assert kept["event_day"].cast(pl.String).to_list() == [
        "0001-01-01", "9999-12-31", "9999-12-31", "0001-01-01", "9999-12-31", "2026-10-01",
    ]  # fmt: skip
    assert report.event_days == (date(1, 1, 1), date(9999, 12, 31))
    manifest = bronze.read_manifest(home.bronze).sort("source_file")  # every file ingested
    day = date(2026, 10, 1)
    assert manifest.select("source_file", "first_event_day", "last_event_day").rows() == [
        ("edges.ndjson", date(1, 1, 1), date(9999, 12, 31)), ("http/batch.json", day, day),
        ("later.ndjson", day, day)]  # fmt: skip
    again = ingest(home, workers=1)  # the next run does not stop on them either
    assert again.files == [] and len(again.already_ingested) == 3


_STAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:[Zz]|([+-])(\d{2}):(\d{2}))"
)


def expected_utc(stamp: str) -> datetime | None:
    """The UTC instant contract section 3 keeps for `stamp`, or None when the record is rejected:
    RFC 3339 read by hand, in seconds from 0001-01-01 so that years 0 and 10000 in UTC can be
    told (the Gregorian calendar repeats every 400 years, 146,097 days: year 0 is year 400)."""
    if (match := _STAMP.fullmatch(stamp)) is None:
        return None
    year, month, day, hour, minute, second = (int(match[i]) for i in range(1, 7))
    offset_hours, offset_minutes = int(match[9] or 0), int(match[10] or 0)
    if hour > 23 or minute > 59 or second > 59 or offset_hours > 23 or offset_minutes > 59:
        return None
    try:
        ordinal = date(year or 400, month, day).toordinal() - (146_097 if year == 0 else 0)
    except ValueError:
        return None
    seconds = ordinal * 86_400 + hour * 3600 + minute * 60 + second
    seconds -= (-1 if match[8] == "-" else 1) * (offset_hours * 3600 + offset_minutes * 60)
    if not date(1, 1, 1).toordinal() <= seconds // 86_400 <= date(9999, 12, 31).toordinal():
        return None
    micro = int((match[7] or "0").ljust(6, "0")[:6])
    midnight = datetime.fromordinal(seconds // 86_400).replace(tzinfo=UTC)
    return midnight + timedelta(seconds=seconds % 86_400, microseconds=micro)


def _digits(low: int, high: int, *edges: str) -> st.SearchStrategy[str]:
    """Two digits from `low` to `high`, or (as often) one of `edges`."""
    return st.sampled_from(edges or ("00",)) | st.integers(low, high).map("{:02d}".format)


_STAMPS = st.one_of(
    st.builds(  # near the first and the last instant (and the offsets that cross them), or any
        "{}-{}-{}{}{}:{}:{}{}{}".format,
        st.sampled_from(["0000", "0001", "9999"]) | st.integers(0, 9999).map("{:04d}".format),
        _digits(0, 13, "01", "12"), _digits(0, 32, "01", "31"), st.sampled_from("Tt "),
        _digits(0, 24, "00", "23"), _digits(0, 60, "00", "59"),
        _digits(0, 59, "00", "59", "61"),  # not 60: Polars reads a leap second as the next one
        st.one_of(st.just(""), st.text("0123456789", max_size=10).map(".{}".format)),
        st.one_of(st.sampled_from("Zz"), st.builds("{}{}:{}".format, st.sampled_from("+-"),
                                                   _digits(0, 24, "01"), _digits(0, 60, "30"))),
    ),
    st.text(max_size=30),  # anything at all
)  # fmt: skip


@settings(max_examples=20, deadline=None)
@given(stamps=st.lists(_STAMPS, min_size=1, max_size=12))
def test_any_event_date_is_kept_at_its_utc_instant_or_rejected_and_the_ingest_never_raises(
    stamps: list[str],
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        home = DataHome(Path(folder))
        write_landing(home, "a.ndjson", "\n".join(line(event(event_date=s)) for s in stamps))
        report = ingest(home, workers=1)
        assert report.kept + report.rejected == report.records == len(stamps)
        kept = bronze_table(home, "hook_events")
        expected = {n: expected_utc(s) for n, s in enumerate(stamps, start=1)}
        kept_at = dict(zip(kept["position"], kept["event_at"], strict=True))
        assert kept_at == {n: utc for n, utc in expected.items() if utc is not None}
        rejects = rejects_by_position(home, "a.ndjson")
        assert sorted(rejects) == [n for n, utc in expected.items() if utc is None]
        assert all(reason.startswith("event_date ") for reason in rejects.values())


# (2) Integers beyond 64 bits.


def test_integers_beyond_64_bits_keep_events_apart_in_the_event_key(home: DataHome) -> None:
    first = event(event_data={"campaign_id": 973, "message_id": BIG})
    reordered = dict(reversed(list(first.items())))
    reordered["event_data"] = {"message_id": BIG, "campaign_id": 973}
    lines = [
        line(first),  # 1
        line(event(event_data={"campaign_id": 973, "message_id": BIG + 1})),  # 2: another event
        line(reordered),  # 3: the event of line 1, keys in another order
        line(event(event_data={"campaign_id": 973, "message_id": 1.2345678901234568e29})),  # 4
        line(event(list_id=2**70)),  # 5: a typed field beyond 64 bits ...
        line(event(list_id=2**70 + 1)),  # 6: ... another event
        line(event(event_data={"n": [-(2**63) - 1, 2**64]})),  # 7: just past each edge
        line(event(event_data={"n": [-(2**63) - 2, 2**64]})),  # 8
        line(event(event_data={"n": [-(2**63), 2**64 - 1]})),  # 9: orjson's own range
    ]
    write_landing(home, "a.ndjson", "\n".join(lines))
    lookalike = {"x": "7e+30"} | first  # a string that reads like a float's exponent
    write_landing(home, "b.ndjson", json.dumps(first, indent=None) + "\n" + line(lookalike))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected, report.type_errors) == (11, 0, 2)
    rows = bronze_table(home, "hook_events").sort("source_file", "position")
    places = zip(rows["source_file"], rows["position"], strict=True)
    keys = dict(zip(places, rows["event_key"], strict=True))
    a = {n: keys["a.ndjson", n] for n in range(1, 10)}
    assert a[1] == a[3] == keys["b.ndjson", 1]  # one event, three deliveries
    assert len({a[1], a[2], a[4], a[5], a[6], a[7], a[8], a[9], keys["b.ndjson", 2]}) == 9
    canonical = (
        b'{"account_id":23,"event_data":{"campaign_id":973,"message_id":%d},"event_date":'
        b'"2026-10-01T12:00:00.123456789Z","event_type":"deliv","is_test":false,"list_id":111,'
        b'"profile_id":"66f66973096b3b454bbbccec"}' % BIG
    )
    assert a[1] == xxh3_128_hexdigest(canonical)  # the digits themselves, not a float
    sorted_compact = json.dumps(lookalike, sort_keys=True, separators=(",", ":")).encode()
    assert keys["b.ndjson", 2] == xxh3_128_hexdigest(sorted_compact)  # read again, same key
    assert rows["list_id"].to_list()[4:6] == [None, None]
    assert json.loads(rows["record"][1])["event_data"]["message_id"] == BIG + 1  # kept whole


def test_a_json_batch_keeps_integers_beyond_64_bits_digit_for_digit(home: DataHome) -> None:
    write_landing(home, "a.json", json.dumps([event(event_data={"message_id": BIG})]))
    write_landing(home, "b.ndjson", line(event(event_data={"message_id": BIG})))
    ingest(home, workers=1)
    rows = bronze_table(home, "hook_events").sort("source_file")
    assert [json.loads(r)["event_data"]["message_id"] for r in rows["record"]] == [BIG, BIG]
    assert rows["event_key"][0] == rows["event_key"][1]


NOT_AN_INTEGER = "account_id must be an integer, not a number"


@pytest.mark.parametrize(("account_id", "reason"), [
    ("18446744073709551616", OUT_OF_INT64),  # 2**64: orjson reads it as a float
    ("123456789012345678901234567890", OUT_OF_INT64),
    ("-9223372036854775809", OUT_OF_INT64),  # -(2**63) - 1
    ("9" * 5000, OUT_OF_INT64),  # beyond a double (orjson refuses it), and int()'s default
    ("9223372036854775808", OUT_OF_INT64),  # 2**63: orjson's int, as before
    ("1e19", NOT_AN_INTEGER), ("18446744073709551616.0", NOT_AN_INTEGER),
])  # fmt: skip
def test_an_account_id_beyond_64_bits_is_out_of_range_rather_than_not_an_integer(
    home: DataHome, account_id: str, reason: str
) -> None:
    raw = f'{{"event_type":"deliv","event_date":"2026-10-01T12:00:00Z","account_id":{account_id}}}'
    write_landing(home, "a.ndjson", raw + "\n" + line(event()))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (1, 1)
    assert rejects_by_position(home, "a.ndjson") == {1: reason}
    assert bronze_table(home, "hook_rejects")["raw"].to_list() == [raw]


# (3) Landing file names that are not UTF-8.


def test_a_file_name_that_is_not_utf8_is_ingested_once_under_a_lossless_readable_name(
    home: DataHome,
) -> None:
    landing = os.fsencode(home.landing)
    os.makedirs(landing + b"/dump\xff")
    names = {
        b"caf\xe9.ndjson": "caf\\xe9.ndjson",  # Latin-1, not UTF-8
        b"dump\xff/part\x0a1.ndjson": "dump\\xff/part\\x0a1.ndjson",  # and a newline in a name
        "back\\slash-café.ndjson".encode(): "back\\\\slash-café.ndjson",  # \\ keeps it lossless
        "plain-café.ndjson".encode(): "plain-café.ndjson",  # valid UTF-8 stays as it is
    }
    for number, name in enumerate(names, start=1):
        with open(landing + b"/" + name, "wb") as handle:
            handle.write(line(event(list_id=number)).encode() + b"\n")
    report = ingest(home, workers=1)

    shown = sorted(names.values())
    assert sorted(f.source_file for f in report.files) == shown
    events = bronze_table(home, "hook_events").sort("list_id")
    assert events["source_file"].to_list() == list(names.values())  # in the order written
    assert sorted(bronze.read_manifest(home.bronze)["source_file"]) == shown
    report.summary().encode("utf-8")  # printable as it is
    from orchestration.ingest.discover import landing_name_bytes

    assert [landing_name_bytes(name) for name in names.values()] == list(names)  # lossless
    again = ingest(home, workers=1)
    assert again.files == [] and sorted(again.already_ingested) == shown


# (4) Landing entries that cannot be read as files.


def make_unreadable_entries(landing: Path) -> dict[str, str]:
    """A FIFO, a socket, a dangling link, a link loop and a link back up; what each must say."""
    os.mkfifo(landing / "fifo.ndjson")
    os.symlink("nowhere.ndjson", landing / "dangling.ndjson")
    os.symlink("loop-b.ndjson", landing / "loop-a.ndjson")
    os.symlink("loop-a.ndjson", landing / "loop-b.ndjson")
    (landing / "sub").mkdir()
    os.symlink("..", landing / "sub" / "up")
    here = os.getcwd()
    os.chdir(landing)  # a socket's path is short: bind it by its relative name
    try:
        socket.socket(socket.AF_UNIX).bind("sock.ndjson")
    finally:
        os.chdir(here)
    loop = "a symbolic link loop (too many levels of symbolic links)"
    return {"dangling.ndjson": "a symbolic link to nowhere.ndjson, which does not exist",
            "fifo.ndjson": "a named pipe (FIFO), not a regular file: not opened",
            "loop-a.ndjson": loop, "loop-b.ndjson": loop,
            "sock.ndjson": "a socket, not a regular file",
            "sub/up/": "a link to landing/, a folder read already"}  # fmt: skip


def assert_named(lines: list[str], expected: dict[str, str]) -> None:
    """The summary lines of skipped entries: their count, then each with its reason."""
    count = f"  {len(expected)} {NOT_READ}"
    assert count in lines, "\n".join(lines)
    named = [f"  not read: {entry}: {reason}" for entry, reason in expected.items()]
    assert lines[lines.index(count) :][: len(named) + 1] == [count, *named]


NOBODY_INGEST = """
import json, os, pwd, sys
from pathlib import Path
from orchestration.defs import run_summary
from orchestration.defs.ingest.assets import report_metadata
from orchestration.ingest import ingest
from orchestration.paths import DataHome

ingest(DataHome(Path(sys.argv[1])), workers=1)  # imports all an ingest imports, while it can
if os.geteuid() == 0:
    nobody = pwd.getpwnam("nobody")
    os.setgroups([]); os.setgid(nobody.pw_gid); os.setuid(nobody.pw_uid)
report = ingest(DataHome(Path(sys.argv[2])), workers=1)
metadata = {name: value.value for name, value in report_metadata(report).items()}
print(json.dumps({"files": [f.source_file for f in report.files],
    "skipped": {s.entry: s.reason for s in getattr(report, "skipped", [])},
    "summary": report.summary().splitlines(),
    "lines": getattr(run_summary, "ingest_lines", lambda metadata: [])(metadata),
    "metadata": [metadata.get("skipped_entries"), metadata.get("skipped_entry_reasons")]}))
"""


def test_every_landing_entry_the_run_cannot_read_is_counted_and_named_with_its_reason() -> None:
    # Root reads a file of mode 000: the ingest runs as `nobody`, in a process that drops root
    # once it has imported all it needs (nobody may not read /root, where Python lives).
    if os.geteuid() == 0 and "nobody" not in {user.pw_name for user in pwd.getpwall()}:
        pytest.skip("no user `nobody` to run the ingest as: root reads a file of mode 000")
    root = Path(tempfile.mkdtemp(prefix="hookhouse-nobody-", dir="/tmp"))
    warm, home = DataHome(root / "warm"), DataHome(root / "home")
    try:
        write_landing(warm, "a.ndjson", line(event()))
        write_landing(home, "fine.ndjson", line(event()))  # read
        write_landing(home, "twin.ndjson", line(event(list_id=222)))  # as long as the next
        locked = {
            "locked-twin.ndjson": line(event(list_id=333)),  # hashed before it is read
            "locked.ndjson": line(event(list_id=4444)),  # hashed as it is read
            "locked.json": json.dumps([event()]),
        }
        for name, text in locked.items():
            write_landing(home, name, text).chmod(0o000)
        write_landing(home, "closed/inside.ndjson", line(event()))
        write_landing(home, "unsearchable/inside.ndjson", line(event()))
        (home.landing / "closed").chmod(0o000)
        (home.landing / "unsearchable").chmod(0o444)  # its names can be listed, not opened
        expected = make_unreadable_entries(home.landing)
        for folder in (root, warm.root, home.root):
            folder.chmod(0o777)
        done = subprocess.run(
            [sys.executable, "-c", NOBODY_INGEST, str(warm.root), str(home.root)],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
    finally:
        for name in ("closed", "unsearchable"):
            (home.landing / name).chmod(0o755)
        shutil.rmtree(root)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    denied = "cannot be read: Permission denied"
    expected["closed/"] = "a folder that cannot be listed: Permission denied"
    expected["unsearchable/inside.ndjson"] = "cannot be examined: Permission denied"
    expected = dict(sorted(expected.items())) | dict.fromkeys(sorted(locked), denied)
    assert sorted(outcome["files"]) == ["fine.ndjson", "twin.ndjson"]
    assert outcome["skipped"] == expected  # the entries of landing/, then the files not read
    assert_named(outcome["summary"], expected)
    assert_named(outcome["lines"], expected)  # `hookhouse run`'s summary, from the metadata
    assert outcome["metadata"] == [11, "\n".join(f"{e}: {r}" for e, r in expected.items())]


@pytest.mark.slow
def test_hookhouse_run_rejects_dates_out_of_range_names_what_it_did_not_read_and_goes_on(
    home: DataHome,
) -> None:
    # (1), (2), then (3) and (4); 2 rejects in 44 records stay below the ratio that stops a run.
    stamps = ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",  # rejected
              "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z"]  # the edges, kept # fmt: skip
    lines = [line(event(event_type="send", event_date=stamp)) for stamp in stamps]
    lines += [line(event(event_type="send", event_data={"message_id": n})) for n in (BIG, BIG + 1)]
    lines += [line(event(event_type="open", event_data={"n": n})) for n in range(36)]
    write_landing(home, "a.ndjson", "\n".join([*lines, lines[4]]) + "\n")  # BIG twice
    expected = make_unreadable_entries(home.landing)
    with open(os.fsencode(home.landing) + b"/caf\xe9.ndjson", "wb") as handle:
        handle.write(line(event(event_type="click")).encode() + b"\n")
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root)}
    env.pop("DAGSTER_HOME", None)
    hookhouse = Path(sys.executable).with_name("hookhouse")
    done = subprocess.run([hookhouse, "run"], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.splitlines()
    log = (home.root / "logs" / "last-run.log").read_text().splitlines()
    assert "  ingest: 2 new files, 44 records: 42 kept, 2 rejected, 0 with a wrong-typed " \
        "optional field; 0 files already ingested" in summary  # fmt: skip
    assert "  event days 0001-01-01 to 9999-12-31" in summary
    assert any("44 records, 42 kept, 2 rejected" in entry for entry in log)
    assert_named(summary, expected)
    assert_named(log, expected)
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        rejects, edges, files, big = (connection.execute(query).fetchall() for query in [
            "select position, error from bronze.hook_rejects order by 1",
            "select event_at, event_day from core.hook_events where event_day < date '1000-01-01'"
            " or event_day > date '9000-01-01' order by 1",
            "select source_file from bronze.ingested_files order by 1",
            "select count(*) from core.hook_events where event_data::varchar like '%12345678901%'",
        ])  # fmt: skip
    assert rejects == [(1, OUT_OF_RANGE + stamps[0]), (2, OUT_OF_RANGE + stamps[1])]
    assert edges == [(datetime(1, 1, 1), date(1, 1, 1)),
                     (datetime(9999, 12, 31, 23, 59, 59, 999999), date(9999, 12, 31))]  # fmt: skip
    assert files == [("a.ndjson",), ("caf\\xe9.ndjson",)]
    assert big == [(2,)]  # three deliveries of two events
