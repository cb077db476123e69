"""How an ingest runs: the block cutter and the content hash, the parse workers, and batches
that commit whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from xxhash import xxh3_128_hexdigest

from orchestration import bronze_layout
from orchestration.ingest import (
    IngestReport,
    bronze,
    cutter,
    hashing,
    ingest,
    pipeline,
    worker_pool,
)
from orchestration.ingest.blocks import LineRange
from orchestration.paths import DataHome
from tests.conftest import bronze_table, write_landing
from tests.ingest_helpers import event, line, rejects_by_position


def whole_line_ranges(
    path: Path, running: hashing.RunningHash | None = None
) -> Iterator[LineRange]:
    """The cutter's ranges of a file with no line above the record limit."""
    for cut in cutter.line_ranges(path, running):
        assert isinstance(cut, LineRange), cut
        yield cut


@pytest.mark.parametrize("piece", [1024 * 1024, 7])  # a block read whole, or in pieces
@pytest.mark.parametrize("ending", ["\n", ""])
def test_line_ranges_cut_at_line_ends_and_number_lines_across_blocks(
    tmp_path, monkeypatch: pytest.MonkeyPatch, ending: str, piece: int
) -> None:
    monkeypatch.setattr(cutter, "BLOCK_BYTES", 64)
    monkeypatch.setattr(cutter, "PIECE_BYTES", piece)
    # Lines shorter than a block, one exactly a block long, and two longer than a block.
    lengths = [10, 63, 5, 200, 1, 64, 30, 130, 7]
    lines = [f"{index:02d}" + "x" * (length - 2) for index, length in enumerate(lengths)]
    path = tmp_path / "a.ndjson"
    path.write_bytes(("\n".join(lines) + ending).encode())
    running = hashing.RunningHash()
    ranges = list(whole_line_ranges(path, running))
    data = path.read_bytes()
    assert b"".join(data[r.start : r.end] for r in ranges) == data
    # The cutter reads a block's tail again as the next block's head: hashed once.
    assert running.hexdigest() == xxh3_128_hexdigest(data) == hashing.content_hash(path)
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
    monkeypatch.setattr(hashing, "HASH_BYTES", 4096)  # several reads, a partial last one
    monkeypatch.setattr(cutter, "BLOCK_BYTES", 64)
    path = tmp_path / "a.ndjson"
    data = b"".join(b"%04dxxxxx\n" % i for i in range(1000))  # lines of 10 bytes
    path.write_bytes(data)
    assert len(data) > 2 * 4096 and len(data) % 4096
    assert hashing.content_hash(path) == xxh3_128_hexdigest(data)
    changed = tmp_path / "b.ndjson"
    changed.write_bytes(data[:-2] + b"y\n")  # the last read counts
    assert hashing.content_hash(changed) != hashing.content_hash(path)
    empty = tmp_path / "empty.ndjson"
    empty.write_bytes(b"")
    assert hashing.content_hash(empty) == xxh3_128_hexdigest(b"")
    # Blocks of the whole lines that fit in 64 bytes, then in a quarter of what is left,
    # down to a quarter block (16 bytes: one line).
    sizes = [r.end - r.start for r in whole_line_ranges(path)]
    assert sum(sizes) == len(data)
    # 220 bytes left: a quarter is 55, so 50 (5 lines); 170: 42 -> 40; 130: 32 -> 30;
    # 100: 25 -> 20; 80: 20; from 60 left, a quarter block: 16 -> 10.
    tail = [50, 40, 30, 20, 20, 10, 10, 10, 10, 10, 10]
    assert sizes[-len(tail) :] == tail and set(sizes[: -len(tail)]) == {60}


def test_a_file_that_shrinks_while_it_is_cut_ends_early(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cutter, "BLOCK_BYTES", 64)
    path = tmp_path / "a.ndjson"
    path.write_bytes(b"".join(b"%04dxxxxx\n" % i for i in range(100)))  # 1,000 bytes
    ranges = whole_line_ranges(path)
    first = next(ranges)
    assert (first.start, first.end, first.first_line) == (0, 60, 1)
    with path.open("r+b") as handle:
        handle.truncate(95)  # cut inside line 10
    rest = list(ranges)
    assert [(r.start, r.end, r.first_line) for r in rest] == [(60, 95, 7)]


def test_a_running_hash_takes_each_byte_once_and_refuses_a_gap() -> None:
    running = hashing.RunningHash()
    running.feed(0, bytearray(b"abcdef"), 6)
    running.feed(3, bytearray(b"defghi"), 6)  # bytes 3 to 5 again
    running.feed(9, bytearray(b"j?"), 1)
    assert running.hexdigest() == xxh3_128_hexdigest(b"abcdefghij")
    with pytest.raises(ValueError, match="bytes 10 to 11 were never read"):
        running.feed(11, bytearray(b"l"), 1)


def test_parallel_workers_write_the_same_rows_as_one_process(
    home: DataHome, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_pool, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(cutter, "BLOCK_BYTES", 4096)
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
    monkeypatch.setattr(worker_pool, "PARALLEL_MIN_BYTES", 1)
    started: list[str] = []
    real = worker_pool.WorkerPool.start

    def spy(self: worker_pool.WorkerPool, new_bytes: int) -> None:
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

    monkeypatch.setattr(worker_pool.WorkerPool, "start", spy)
    monkeypatch.setattr(pipeline, "content_hash", hashing)

    def run() -> IngestReport:
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
    monkeypatch.setattr(cutter, "BLOCK_BYTES", 256)  # many blocks, re-read tails
    monkeypatch.setattr(pipeline, "SMALL_FILE_BYTES", 0)  # read alone: small files are hashed
    monkeypatch.setattr(cutter, "PIECE_BYTES", 100)
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


def test_workers_get_their_allocator_setting_and_this_process_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker_pool, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:1")
    with worker_pool.WorkerPool(2) as pool:
        pool.start(1)
        assert pool.executor is not None
        seen = {pool.executor.submit(os.getenv, "_RJEM_MALLOC_CONF").result() for _ in range(8)}
        # Polars, imported by the worker, puts its defaults first; the setting comes last.
        assert all(
            (value or "").endswith("narenas:1," + worker_pool.WORKER_JEMALLOC) for value in seen
        )
    assert os.environ["_RJEM_MALLOC_CONF"] == "narenas:1"
    monkeypatch.delenv("_RJEM_MALLOC_CONF")
    with worker_pool._jemalloc_conf("dirty_decay_ms:-1"):
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
    assert not any((home.bronze / bronze_layout.STAGING).iterdir())
