"""Bronze ingest, rule by rule (contract section 3), with hand-written dumps and hand counts."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from xxhash import xxh3_128_hexdigest

from orchestration.ingest import bronze, ingest, pipeline, readers
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing


def event(event_type: str = "deliv", **fields: object) -> dict:
    base = {
        "event_type": event_type,
        "event_date": "2026-10-01T12:00:00.123456789Z",
        "account_id": 23,
        "profile_id": "66f66973096b3b454bbbccec",
        "list_id": 111,
        "is_test": False,
        "event_data": {"campaign_id": 973, "message_id": 17},
    }
    base.update(fields)
    return base


def line(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def rejects_by_position(home: DataHome, source_file: str) -> dict[int, str]:
    rejects = bronze_table(home, "hook_rejects").filter(pl.col("source_file") == source_file)
    return dict(zip(rejects["position"].to_list(), rejects["error"].to_list(), strict=True))


def test_each_reject_rule_keeps_file_line_raw_text_and_reason(home: DataHome) -> None:
    lines = [
        line(event()),  # 1 kept
        "[1, 2]",  # 2 not an object
        '"just a string"',  # 3 not an object
        '{"event_type": "deliv", "event_date": ',  # 4 invalid JSON
        line({k: v for k, v in event().items() if k != "event_type"}),  # 5 no event_type
        line(event(event_type="")),  # 6 empty event_type
        line(event(event_type=5)),  # 7 event_type not a string
        line({k: v for k, v in event().items() if k != "event_date"}),  # 8 no event_date
        line(event(event_date="2026-13-45T10:00:00Z")),  # 9 not a date
        line(event(event_date=1727781234)),  # 10 a number
        line(event(event_date="2026-10-01T12:00:00")),  # 11 no offset: not RFC 3339
        line({k: v for k, v in event().items() if k != "account_id"}),  # 12 no account_id
        line(event(account_id="23")),  # 13 a string
        line(event(account_id=23.5)),  # 14 not an integer
        line(event(account_id=True)),  # 15 a boolean is not an integer
        "",  # 16 blank: skipped, not a record
        line(event(event_type="cart_abandoned")),  # 17 unknown type: kept
    ]
    write_landing(home, "kafka/part-0001.ndjson", "\n".join(lines) + "\n")
    report = ingest(home, workers=1)

    assert (report.records, report.kept, report.rejected) == (16, 2, 14)
    errors = rejects_by_position(home, "kafka/part-0001.ndjson")
    assert sorted(errors) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    assert errors[2] == "not a JSON object (the record is an array)"
    assert errors[3] == "not a JSON object (the record is a string)"
    assert errors[4].startswith("not valid JSON")
    assert errors[5] == "event_type is missing"
    assert errors[6] == "event_type must be a non-empty string, not an empty one"
    assert errors[7] == "event_type must be a non-empty string, not a number"
    assert errors[8] == "event_date is missing"
    assert errors[9].startswith("event_date is not a valid RFC 3339 timestamp")
    assert errors[10] == "event_date must be an RFC 3339 string, not a number"
    assert errors[11].startswith("event_date is not a valid RFC 3339 timestamp")
    assert errors[12] == "account_id is missing"
    assert errors[13] == "account_id must be an integer, not a string"
    assert errors[14] == "account_id must be an integer, not a number"
    assert errors[15] == "account_id must be an integer, not a boolean"
    rejects = bronze_table(home, "hook_rejects")
    assert rejects.filter(pl.col("position") == 3)["raw"].item() == '"just a string"'
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["position"].to_list() == [1, 17]
    assert kept["event_type"].to_list() == ["deliv", "cart_abandoned"]


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
    others = {"a number": 7, "a float": 1.5, "an object": {"x": 1}, "an array": ["x"]}
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
    ],
)  # fmt: skip
def test_timestamps_are_normalised_to_utc_and_partitioned_by_utc_day(
    home: DataHome, stamp: str, utc: datetime, day: str
) -> None:
    write_landing(home, "a.ndjson", line(event(event_date=stamp)))
    ingest(home, workers=1)
    kept = bronze_table(home, "hook_events")
    assert kept["event_at"].item() == utc
    assert (home.bronze / "hook_events" / f"event_day={day}").is_dir()
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


def test_a_file_or_its_content_under_another_name_is_ingested_once(home: DataHome) -> None:
    text = line(event()) + "\n" + line(event(event_type="open")) + "\n"
    write_landing(home, "a.ndjson", text)
    first = ingest(home, workers=1)
    assert first.kept == 2
    write_landing(home, "copy/of-a.ndjson", text)
    second = ingest(home, workers=1)
    assert second.files == []
    assert sorted(second.already_ingested) == ["a.ndjson", "copy/of-a.ndjson"]
    assert bronze_table(home, "hook_events").height == 2
    assert bronze.read_manifest(home.bronze)["source_file"].to_list() == ["a.ndjson"]


def test_a_rerun_with_no_new_files_writes_nothing(home: DataHome) -> None:
    write_landing(home, "a.ndjson", line(event()))
    ingest(home, workers=1)
    before = sorted(p.relative_to(home.bronze) for p in home.bronze.rglob("*"))
    report = ingest(home, workers=1)
    assert report.files == [] and report.batch_ids == []
    assert sorted(p.relative_to(home.bronze) for p in home.bronze.rglob("*")) == before


def test_a_truncated_gzip_keeps_what_was_read_and_records_the_damage(home: DataHome) -> None:
    lines = [line(event(event_data={"campaign_id": i, "pad": "x" * 200})) for i in range(400)]
    whole = gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)
    damaged = home.landing / "broken.ndjson.gz"
    damaged.write_bytes(whole[: len(whole) // 2])
    write_landing(home, "fine.ndjson", line(event(event_type="open")))
    report = ingest(home, workers=1)

    by_file = {f.source_file: f for f in report.files}
    broken = by_file["broken.ndjson.gz"]
    assert broken.damaged
    assert 0 < broken.kept < 400
    assert broken.rejected == 1
    errors = rejects_by_position(home, "broken.ndjson.gz")
    ((position, error),) = errors.items()
    assert position == broken.kept + 1  # the first line not read whole
    assert "damaged gzip stream" in error
    kept = bronze_table(home, "hook_events").filter(pl.col("source_file") == "broken.ndjson.gz")
    assert kept["position"].to_list() == list(range(1, broken.kept + 1))
    assert by_file["fine.ndjson"].kept == 1  # the other files are ingested


def test_gzipped_json_batches_and_jsonl_are_read(home: DataHome) -> None:
    write_landing(home, "a.json.gz", json.dumps([event(), event(event_type="open")]), gz=True)
    write_landing(home, "b.JSONL", line(event(event_type="click")) + "\r\n")
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (3, 0)


def test_files_being_written_are_skipped_and_other_files_listed(home: DataHome) -> None:
    write_landing(home, "done.ndjson", line(event()))
    write_landing(home, "writing.ndjson.tmp", line(event()))
    write_landing(home, "writing.ndjson.partial", line(event()))
    write_landing(home, ".hidden.ndjson", line(event()))
    write_landing(home, "notes.txt", "hello")
    report = ingest(home, workers=1)
    assert [f.source_file for f in report.files] == ["done.ndjson"]
    assert sorted(report.in_progress) == [
        ".hidden.ndjson", "writing.ndjson.partial", "writing.ndjson.tmp",
    ]  # fmt: skip
    assert report.ignored == ["notes.txt"]
    assert "ignored (not a landing format): notes.txt" in report.summary()


def test_a_json_batch_cut_mid_element_keeps_the_elements_before(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps([event(event_data={"campaign_id": i}) for i in range(5)])
    cut = body[: body.index('{"event_type"', body.index('campaign_id": 3')) - 20]
    write_landing(home, "cut.json", cut)
    for limit in (readers.WHOLE_JSON_LIMIT, 10):  # the one-call path, then the scanner
        monkeypatch.setattr(readers, "WHOLE_JSON_LIMIT", limit)
        kept, rejects = _ingest_fresh(home)
        assert kept == [1, 2, 3]
        assert list(rejects) == [4]
        assert "element 4" in rejects[4]


def _ingest_fresh(home: DataHome) -> tuple[list[int], dict[int, str]]:
    import shutil

    shutil.rmtree(home.bronze, ignore_errors=True)
    ingest(home, workers=1)
    kept = sorted(bronze_table(home, "hook_events")["position"].to_list())
    return kept, rejects_by_position(home, "cut.json")


def test_a_large_json_batch_is_scanned_element_by_element(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "WHOLE_JSON_LIMIT", 100)
    monkeypatch.setattr(readers, "ELEMENTS_PER_BLOCK", 7)
    batch = [event(event_data={"campaign_id": i, "text": "é ü \u2603"}) for i in range(50)]
    batch[20] = "not an object"
    write_landing(home, "big.json", json.dumps(batch, ensure_ascii=False, indent=2))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (49, 1)
    assert rejects_by_position(home, "big.json") == {
        21: "not a JSON object (the record is a string)"
    }
    kept = bronze_table(home, "hook_events").sort("position")
    assert json.loads(kept["record"][0]) == batch[0]


def test_top_level_values_that_are_not_batches_are_rejected_as_a_file(home: DataHome) -> None:
    write_landing(home, "number.json", "42")
    write_landing(home, "empty.json", "   ")
    report = ingest(home, workers=1)
    assert report.rejected == 2 and report.kept == 0
    assert rejects_by_position(home, "number.json") == {
        1: "top level is a JSON int, not an array or an object"
    }
    assert "empty" in rejects_by_position(home, "empty.json")[1]


def test_parallel_workers_write_the_same_rows_as_one_process(
    home: DataHome, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "BLOCK_BYTES", 4096)
    lines = [line(event(event_data={"campaign_id": i})) for i in range(300)]
    lines[150] = "{broken"
    write_landing(home, "a.ndjson", "\n".join(lines))
    serial = DataHome(tmp_path / "serial")
    write_landing(serial, "a.ndjson", "\n".join(lines))
    ingest(home, workers=2)
    ingest(serial, workers=1)
    columns = ["position", "event_key", "event_at", "record"]
    parallel_rows = bronze_table(home, "hook_events").select(columns).sort("position")
    serial_rows = bronze_table(serial, "hook_events").select(columns).sort("position")
    assert parallel_rows.height == 299
    assert parallel_rows.equals(serial_rows)
    assert rejects_by_position(home, "a.ndjson").keys() == {151}


def test_workers_start_only_for_content_that_may_be_new(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1)
    started: list[str] = []
    real = pipeline._Workers.start

    def spy(self: pipeline._Workers, new_bytes: int) -> None:
        running = self.executor is not None
        real(self, new_bytes)
        if self.executor is not None and not running:
            started.append("before hashing" if not started_hashing else "after hashing")

    started_hashing = False
    real_hash = pipeline.content_hash

    def hashing(path: Path) -> str:
        nonlocal started_hashing
        started_hashing = True
        return real_hash(path)

    monkeypatch.setattr(pipeline._Workers, "start", spy)
    monkeypatch.setattr(pipeline, "content_hash", hashing)

    def run() -> pipeline.IngestReport:
        nonlocal started_hashing
        started.clear()
        started_hashing = False
        return ingest(home, workers=2)

    text = "\n".join(line(event(event_data={"n": i})) for i in range(20)) + "\n"
    write_landing(home, "a.ndjson", text)
    assert run().kept == 20 and started == ["before hashing"]  # a size no ingested file has
    assert run().files == [] and started == []  # nothing new: no worker starts
    write_landing(home, "copy/of-a.ndjson", text)
    assert run().already_ingested == ["a.ndjson", "copy/of-a.ndjson"] and started == []
    assert run().files == [] and started == []  # ... on every later run too
    # Same size, other content: taken as known until hashed, then ingested.
    write_landing(home, "a.ndjson", text.replace('"n":1}', '"n":7}', 1))
    report = run()
    assert report.kept == 20 and started == ["after hashing"]


def test_a_new_file_is_hashed_while_it_is_read_and_its_rows_find_their_manifest_row(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", 256)  # many blocks, re-read tails
    monkeypatch.setattr(readers, "PIECE_BYTES", 100)
    hashed_first: list[str] = []
    real_hash = pipeline.content_hash

    def hashing(path: Path) -> str:
        hashed_first.append(path.name)
        return real_hash(path)

    monkeypatch.setattr(pipeline, "content_hash", hashing)
    text = "\n".join(line(event(event_data={"n": i})) for i in range(30)) + "\n"
    write_landing(home, "a.ndjson", text)
    report = ingest(home, workers=1)
    assert report.kept == 30 and hashed_first == []  # a size no other file has
    manifest = bronze.read_manifest(home.bronze)
    assert manifest["content_hash"].to_list() == [xxh3_128_hexdigest(text.encode())]
    rows = bronze_table(home, "hook_events")
    assert "content_hash" not in rows.columns
    joined = rows.join(manifest, on=["source_file", "batch_id"], how="left")
    assert joined["content_hash"].to_list() == [xxh3_128_hexdigest(text.encode())] * 30
    # Its copy has its size: hashed first, and found ingested.
    write_landing(home, "copy/of-a.ndjson", text)
    assert ingest(home, workers=1).files == [] and hashed_first == ["a.ndjson", "of-a.ndjson"]
    # Two new files of one size: both hashed first, so equal content is ingested once.
    hashed_first.clear()
    other = text.replace('"n":1}', '"n":18}', 1)  # a size no ingested file has
    write_landing(home, "b.ndjson", other)
    write_landing(home, "c.ndjson", other)
    report = ingest(home, workers=1)
    assert [f.source_file for f in report.files] == ["b.ndjson"]
    assert report.already_ingested == ["a.ndjson", "c.ndjson", "copy/of-a.ndjson"]
    assert sorted(hashed_first) == ["a.ndjson", "b.ndjson", "c.ndjson", "of-a.ndjson"]
    # A gzip is hashed first: its reader sees decompressed bytes, the hash is of the stored.
    hashed_first.clear()
    write_landing(home, "d.ndjson.gz", line(event(event_type="open")), gz=True)
    report = ingest(home, workers=1)
    assert [f.source_file for f in report.files] == ["d.ndjson.gz"]
    assert "d.ndjson.gz" in hashed_first


def test_a_running_hash_takes_each_byte_once_and_refuses_a_gap() -> None:
    running = readers.RunningHash()
    running.feed(0, bytearray(b"abcdef"), 6)
    running.feed(3, bytearray(b"defghi"), 6)  # bytes 3 to 5 again
    running.feed(9, bytearray(b"j?"), 1)
    assert running.hexdigest() == xxh3_128_hexdigest(b"abcdefghij")
    with pytest.raises(ValueError, match="bytes 10 to 11 were never read"):
        running.feed(11, bytearray(b"l"), 1)


def test_workers_get_their_allocator_setting_and_this_process_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:1")
    with pipeline._Workers(2) as pool:
        pool.start(1)
        assert pool.executor is not None
        seen = {pool.executor.submit(os.getenv, "_RJEM_MALLOC_CONF").result() for _ in range(8)}
        # Polars, imported by the worker, puts its defaults first; the setting comes last.
        assert all(value.endswith("narenas:1," + pipeline.WORKER_JEMALLOC) for value in seen)
    assert os.environ["_RJEM_MALLOC_CONF"] == "narenas:1"
    monkeypatch.delenv("_RJEM_MALLOC_CONF")
    with pipeline._jemalloc_conf("dirty_decay_ms:-1"):
        assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:-1"
    assert "_RJEM_MALLOC_CONF" not in os.environ


def test_a_crash_before_commit_leaves_nothing_and_the_rerun_ingests_once(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_landing(home, "a.ndjson", line(event()))
    write_landing(home, "b.ndjson", line(event(event_type="open")))
    real = bronze.BatchWriter.commit

    def crash(self: bronze.BatchWriter, manifest: pl.DataFrame) -> None:
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(bronze.BatchWriter, "commit", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest(home, workers=1)
    assert bronze_table(home, "hook_events").height == 0
    assert bronze.read_manifest(home.bronze).height == 0

    monkeypatch.setattr(bronze.BatchWriter, "commit", real)
    report = ingest(home, workers=1)
    assert report.kept == 2
    assert bronze_table(home, "hook_events").height == 2


def test_a_crash_after_the_commit_point_is_rolled_forward(home: DataHome) -> None:
    write_landing(home, "a.ndjson", line(event()))
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(bronze, "_roll_forward", lambda bronze_dir, staging: None)
    ingest(home, workers=1)
    monkeypatch.undo()
    assert bronze_table(home, "hook_events").height == 0  # committed, not yet moved
    report = ingest(home, workers=1)
    assert report.recovered and report.recovered[0].startswith("completed committed batch")
    assert report.files == []  # the manifest already says a.ndjson is in
    assert bronze_table(home, "hook_events").height == 1
    assert not any((home.bronze / bronze.STAGING).iterdir())


def test_bronze_reads_in_duckdb_with_the_event_day_partition(home: DataHome) -> None:
    write_landing(home, "a.ndjson", line(event()) + "\n" + line(event(
        event_date="2026-10-02T00:00:01Z")))  # fmt: skip
    ingest(home, workers=1)
    rows = duckdb.sql(
        f"select event_day, count(*) from read_parquet('{home.bronze}/hook_events/**/*.parquet',"
        " hive_partitioning = true) group by all order by 1"
    ).fetchall()
    assert rows == [(date(2026, 10, 1), 1), (date(2026, 10, 2), 1)]


def test_manifest_counts_add_up(home: DataHome) -> None:
    write_landing(home, "a.ndjson", "\n".join([line(event()), "oops", line(event(list_id="x"))]))
    ingest(home, workers=1)
    row = bronze.read_manifest(home.bronze).row(0, named=True)
    assert (row["records"], row["kept"], row["rejected"], row["type_errors"]) == (3, 2, 1, 1)
    assert row["first_event_day"] == row["last_event_day"] == date(2026, 10, 1)
    assert row["damaged"] is False
    assert row["size_bytes"] == (home.landing / "a.ndjson").stat().st_size


def test_a_truncated_gzipped_json_batch_keeps_the_whole_elements_before(home: DataHome) -> None:
    batch = [event(event_data={"campaign_id": i, "pad": "y" * 300}) for i in range(300)]
    whole = gzip.compress(json.dumps(batch).encode(), mtime=0)
    (home.landing / "batch.json.gz").write_bytes(whole[: len(whole) * 2 // 3])
    report = ingest(home, workers=1)
    (result,) = report.files
    assert result.damaged and result.rejected == 1
    assert 0 < result.kept < 300
    kept = bronze_table(home, "hook_events").sort("position")
    assert kept["position"].to_list() == list(range(1, result.kept + 1))
    (error,) = rejects_by_position(home, "batch.json.gz").values()
    assert "damaged gzip stream" in error or "not valid JSON" in error


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


def test_whitespace_only_event_types_are_empty(home: DataHome) -> None:
    write_landing(home, "a.ndjson", "\n".join([line(event(event_type=" \t\u00a0")), line(event())]))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (1, 1)
    assert rejects_by_position(home, "a.ndjson") == {
        1: "event_type must be a non-empty string, not an empty one"
    }


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


@pytest.mark.parametrize("piece", [1024 * 1024, 7])  # a block read whole, or in pieces
@pytest.mark.parametrize("ending", ["\n", ""])
def test_line_ranges_cut_at_line_ends_and_number_lines_across_blocks(
    tmp_path, monkeypatch: pytest.MonkeyPatch, ending: str, piece: int
) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", 64)
    monkeypatch.setattr(readers, "PIECE_BYTES", piece)
    # Lines shorter than a block, one exactly a block long, and two longer than a block.
    lengths = [10, 63, 5, 200, 1, 64, 30, 130, 7]
    lines = [f"{index:02d}" + "x" * (length - 2) for index, length in enumerate(lengths)]
    path = tmp_path / "a.ndjson"
    path.write_bytes(("\n".join(lines) + ending).encode())
    running = readers.RunningHash()
    ranges = list(readers._line_ranges(path, running))
    data = path.read_bytes()
    assert b"".join(data[r.start : r.end] for r in ranges) == data
    # The cutter reads a block's tail again as the next block's head: hashed once.
    assert running.hexdigest() == xxh3_128_hexdigest(data) == readers.content_hash(path)
    seen: dict[int, str] = {}
    for block in ranges:
        text = block.read().data.decode()
        assert block.end == len(data) or text.endswith("\n")
        for offset, content in enumerate(text.split("\n")[: text.count("\n") or 1]):
            seen[block.first_line + offset] = content
    assert seen == {number: text for number, text in enumerate(lines, start=1)}


def test_the_content_hash_covers_every_byte_and_the_last_blocks_are_smaller(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "HASH_BYTES", 4096)  # several reads, a partial last one
    monkeypatch.setattr(readers, "BLOCK_BYTES", 64)
    path = tmp_path / "a.ndjson"
    data = b"".join(b"%04dxxxxx\n" % i for i in range(1000))  # lines of 10 bytes
    path.write_bytes(data)
    assert len(data) > 2 * 4096 and len(data) % 4096
    assert readers.content_hash(path) == xxh3_128_hexdigest(data)
    changed = tmp_path / "b.ndjson"
    changed.write_bytes(data[:-2] + b"y\n")  # the last read counts
    assert readers.content_hash(changed) != readers.content_hash(path)
    empty = tmp_path / "empty.ndjson"
    empty.write_bytes(b"")
    assert readers.content_hash(empty) == xxh3_128_hexdigest(b"")
    # Blocks of the whole lines that fit in 64 bytes, then in a quarter of what is left,
    # down to a quarter block (16 bytes: one line).
    sizes = [r.end - r.start for r in readers._line_ranges(path)]
    assert sum(sizes) == len(data)
    # 220 bytes left: a quarter is 55, so 50 (5 lines); 170: 42 -> 40; 130: 32 -> 30;
    # 100: 25 -> 20; 80: 20; from 60 left, a quarter block: 16 -> 10.
    tail = [50, 40, 30, 20, 20, 10, 10, 10, 10, 10, 10]
    assert sizes[-len(tail) :] == tail and set(sizes[: -len(tail)]) == {60}


def test_a_file_that_shrinks_while_it_is_cut_ends_early(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "BLOCK_BYTES", 64)
    path = tmp_path / "a.ndjson"
    path.write_bytes(b"".join(b"%04dxxxxx\n" % i for i in range(100)))  # 1,000 bytes
    ranges = readers._line_ranges(path)
    first = next(ranges)
    assert (first.start, first.end, first.first_line) == (0, 60, 1)
    with path.open("r+b") as handle:
        handle.truncate(95)  # cut inside line 10
    rest = list(ranges)
    assert [(r.start, r.end, r.first_line) for r in rest] == [(60, 95, 7)]


def test_records_on_both_sides_of_a_parse_chunk_keep_their_outcomes(home: DataHome) -> None:
    # A malformed record and a wrong-typed field in one chunk, clean chunks around them.
    from orchestration.ingest.records import CHUNK_RECORDS

    lines = [line(event(event_data={"n": i})) for i in range(3 * CHUNK_RECORDS)]
    lines[CHUNK_RECORDS + 3] = line(event(account_id="23"))
    lines[CHUNK_RECORDS + 4] = line(event(list_id="111", event_data={"n": -1}))
    lines[-1] = "not json"
    write_landing(home, "a.ndjson", "\n".join(lines))
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected, report.type_errors) == (3 * CHUNK_RECORDS - 2, 2, 1)
    assert rejects_by_position(home, "a.ndjson") == {
        CHUNK_RECORDS + 4: "account_id must be an integer, not a string",
        3 * CHUNK_RECORDS: "not valid JSON: invalid literal, expected 'null': "
        "line 1 column 1 (char 0)",
    }
    rows = bronze_table(home, "hook_events").sort("position")
    assert rows["position"].to_list() == [
        n for n in range(1, 3 * CHUNK_RECORDS) if n != CHUNK_RECORDS + 4
    ]
    wrong = rows.filter(pl.col("type_errors").is_not_null())
    assert wrong["position"].to_list() == [CHUNK_RECORDS + 5]
    assert wrong["type_errors"].to_list() == [["list_id"]] and wrong["list_id"].to_list() == [None]
