"""Small landing files read several at a time by one worker (`ingest.file_group`): each row
keeps its own file and position, each file its own manifest row, whatever group it was in."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import polars as pl
import pytest

from orchestration.ingest import bronze, file_group, ingest, pipeline, worker_pool
from orchestration.ingest.blocks import Block
from orchestration.ingest.discover import LandingFile
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line


def landing(home: DataHome) -> None:
    """Five small files of four formats, with hand-placed faults."""
    write_landing(home, "a.ndjson", "\n".join([
        line(event(n=1)), "{not json", line(event(n=3)),
    ]) + "\n")  # fmt: skip
    write_landing(home, "b.json", "[" + ",".join([
        line(event(n=1)), line(event(n=2)), line(event(event_type="")),
    ]) + "]")  # fmt: skip
    write_landing(home, "c.ndjson.gz", line(event(n=1)) + "\n" + line(event(n=2)) + "\n", gz=True)
    write_landing(home, "d.jsonl", "\n" + line(event(n=9)) + "\n")
    text = (line(event(n=1)) + "\n" + line(event(n=2)) + "\n") * 200
    whole = gzip.compress(text.encode(), mtime=0)
    (home.landing / "e.ndjson.gz").write_bytes(whole[: len(whole) // 2])  # cut short


@pytest.mark.parametrize("group_files", [256, 2])
def test_each_row_keeps_its_file_and_position_in_a_group_read_by_a_worker(
    home: DataHome, monkeypatch: pytest.MonkeyPatch, group_files: int
) -> None:
    monkeypatch.setattr(worker_pool, "PARALLEL_MIN_BYTES", 0)  # real workers, even for this
    monkeypatch.setattr(file_group, "GROUP_FILES", group_files)  # one group, or three
    landing(home)
    report = ingest(home, workers=2)
    manifest = {row["source_file"]: row for row in bronze.read_manifest(home.bronze).to_dicts()}
    counts = {name: (row["records"], row["kept"], row["rejected"], row["damaged"])
              for name, row in manifest.items() if name != "e.ndjson.gz"}  # fmt: skip
    assert counts == {
        "a.ndjson": (3, 2, 1, False),
        "b.json": (3, 2, 1, False),
        "c.ndjson.gz": (2, 2, 0, False),
        "d.jsonl": (1, 1, 0, False),
    }
    assert manifest["e.ndjson.gz"]["damaged"] and manifest["e.ndjson.gz"]["kept"] > 0
    events = bronze_table(home, "hook_events").filter(pl.col("source_file") != "e.ndjson.gz")
    placed = sorted(zip(events["source_file"], events["position"], strict=True))
    assert placed == [("a.ndjson", 1), ("a.ndjson", 3), ("b.json", 1), ("b.json", 2),
                      ("c.ndjson.gz", 1), ("c.ndjson.gz", 2), ("d.jsonl", 2)]  # fmt: skip
    # Rows and manifest rows meet on file and batch, as for a file read alone.
    joined = events.join(bronze.read_manifest(home.bronze), on=["source_file", "batch_id"])
    assert joined.height == events.height
    rejects = bronze_table(home, "hook_rejects")
    by_file = {(r["source_file"], r["position"]): r["error"] for r in rejects.to_dicts()}
    assert by_file[("a.ndjson", 2)].startswith("not valid JSON")
    assert "event_type" in by_file[("b.json", 3)]
    assert [f for f, _ in by_file if f == "e.ndjson.gz"] == ["e.ndjson.gz"]  # one damage row
    assert report.kept == bronze_table(home, "hook_events").height


def test_a_file_of_a_group_that_cannot_be_read_adds_nothing_and_is_read_next_time(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing(home)
    real = file_group.read_blocks

    def failing(landing_file: LandingFile) -> Iterator[Block]:
        if landing_file.relative == "b.json":
            yield from real(landing_file)  # its records are read, then the file goes away
            raise PermissionError(13, "Permission denied")
        yield from real(landing_file)

    monkeypatch.setattr(file_group, "read_blocks", failing)
    report = ingest(home, workers=1)
    assert [str(s) for s in report.skipped] == ["b.json: cannot be read: Permission denied"]
    assert "b.json" not in bronze.read_manifest(home.bronze)["source_file"].to_list()
    for table in ("hook_events", "hook_rejects"):
        assert "b.json" not in bronze_table(home, table)["source_file"].to_list()
    monkeypatch.setattr(file_group, "read_blocks", real)
    assert [f.source_file for f in ingest(home, workers=1).files] == ["b.json"]
    assert bronze_table(home, "hook_events").filter(pl.col("source_file") == "b.json").height == 2


def test_a_large_file_between_small_ones_is_read_block_by_block_in_the_same_batch(
    home: DataHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "SMALL_FILE_BYTES", 200)  # a.ndjson and b.json are large
    landing(home)
    report = ingest(home, workers=1)
    assert len(report.batch_ids) == 1 and len(report.files) == 5
    events = bronze_table(home, "hook_events")
    assert set(events["source_file"]) == {f.source_file for f in report.files}
