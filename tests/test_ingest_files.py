"""Landing files, as contract section 3 reads them: each content once, damage recorded, the
formats and the files still being written, and the bronze tables they end up in."""

from __future__ import annotations

import gzip
import json
from datetime import date

import duckdb
import polars as pl
import pytest

from orchestration import bronze_layout
from orchestration.ingest import bronze, ingest, json_batch
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position

pytestmark = pytest.mark.usefixtures("small_files_grouped_or_alone")


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


def test_gzipped_json_batches_and_jsonl_are_read(home: DataHome) -> None:
    write_landing(home, "a.json.gz", json.dumps([event(), event(event_type="open")]), gz=True)
    write_landing(home, "b.JSONL", line(event(event_type="click")) + "\r\n")
    report = ingest(home, workers=1)
    assert (report.kept, report.rejected) == (3, 0)


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


def test_a_json_batch_cut_mid_element_keeps_the_elements_before(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps([event(event_data={"campaign_id": i}) for i in range(5)])
    cut = body[: body.index('{"event_type"', body.index('campaign_id": 3')) - 20]
    write_landing(home, "cut.json", cut)
    for limit in (json_batch.WHOLE_JSON_LIMIT, 10):  # the one-call path, then the scanner
        monkeypatch.setattr(json_batch, "WHOLE_JSON_LIMIT", limit)
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
    monkeypatch.setattr(json_batch, "WHOLE_JSON_LIMIT", 100)
    monkeypatch.setattr(json_batch, "ELEMENTS_PER_BLOCK", 7)
    batch: list[object] = [
        event(event_data={"campaign_id": i, "text": "é ü \u2603"}) for i in range(50)
    ]
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


def test_manifest_counts_add_up(home: DataHome) -> None:
    write_landing(home, "a.ndjson", "\n".join([line(event()), "oops", line(event(list_id="x"))]))
    ingest(home, workers=1)
    row = bronze.read_manifest(home.bronze).row(0, named=True)
    assert (row["records"], row["kept"], row["rejected"], row["type_errors"]) == (3, 2, 1, 1)
    assert row["first_event_day"] == row["last_event_day"] == date(2026, 10, 1)
    assert row["damaged"] is False
    assert row["size_bytes"] == (home.landing / "a.ndjson").stat().st_size


def test_bronze_reads_in_duckdb_with_the_event_day_partition(home: DataHome) -> None:
    write_landing(home, "a.ndjson", line(event()) + "\n" + line(event(
        event_date="2026-10-02T00:00:01Z")))  # fmt: skip
    ingest(home, workers=1)
    parts = bronze_layout.bronze_table("hook_events").glob(home.bronze)
    rows = duckdb.execute(
        f"select event_day, count(*) from read_parquet('{parts}', hive_partitioning = true)"
        " group by all order by 1"
    ).fetchall()
    assert rows == [(date(2026, 10, 1), 1), (date(2026, 10, 2), 1)]
