"""Hostile input fuzzed at the whole ingest (contract section 3): truncated and concatenated
JSON, wrong types, deep nesting, 10 MB strings, invalid UTF-8, byte-order marks, CRLF, NaN and
huge numbers, duplicate keys, empty and binary files, damaged gzip, compression bombs, and
landing entries that cannot be read (link loops, dangling links, FIFOs, a folder link loop).

For each ingest run: no exception, no hang (a time bound), memory bounded, and every record
accounted: each landing file's records are kept or rejected with a reason in bronze, exactly at
the positions it was written with when its framing is intact, at least those before its damage
when not (and then the damage is recorded); each entry that is not read is named with its
reason. The inputs are tests/fuzz_inputs.py's; `make stress` runs the long version.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

import polars as pl
import psutil
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orchestration.ingest import FileResult, IngestReport, ingest, limits
from orchestration.paths import REPO_ROOT, DataHome
from tests.conftest import bronze_table
from tests.fuzz_inputs import MB, POOL, Built, Plan, build, past_file_limit, plans
from tests.ingest_helpers import event, line

SECONDS_PER_RUN = 120
"""An ingest run of a few files of hostile records that takes longer than this has hung."""
FILE_LIMIT = 3 * MB
"""MAX_FILE_DECOMPRESSED_BYTES in the runs that lower the limits."""
RSS_GROWTH_LIMIT_MB = 1500
"""How far the test process's peak resident memory may grow across the fuzz runs (10 MB
strings in batches parsed whole are the largest things they hold)."""


@dataclass
class Figures:
    """What a fuzz test threw at the ingest, and what came of it."""

    runs: int = 0
    files: int = 0
    records: int = 0
    crashes: int = 0
    hangs: int = 0
    unaccounted: int = 0
    slowest: float = 0.0

    def line(self, seconds: float, peak_rss_mb: float) -> str:
        return (
            f"fuzz: {self.records:,} records in {self.files:,} files over {self.runs} ingest "
            f"runs in {seconds:.0f}s (slowest run {self.slowest:.1f}s): crashes {self.crashes}, "
            f"hangs {self.hangs}, unaccounted {self.unaccounted}, peak RSS {peak_rss_mb:.0f} MB"
        )


class Hang(Exception):
    """An ingest run passed its time bound."""


@contextmanager
def time_bound(seconds: int) -> Iterator[None]:
    """Raise `Hang` in this (the main) thread once `seconds` have passed."""

    def expire(_signal: int, _frame: FrameType | None) -> None:
        raise Hang(f"an ingest run took more than {seconds}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def unreadable_entries(landing: Path) -> set[str]:
    """Entries the run cannot read, each to be named with its reason: a link loop, a dangling
    link, a FIFO (never opened, or the run would wait for a writer) and a folder link loop."""
    os.symlink("loop-b.ndjson", landing / "loop-a.ndjson")
    os.symlink("loop-a.ndjson", landing / "loop-b.ndjson")
    os.symlink("gone.json", landing / "dangling.json")
    os.mkfifo(landing / "pipe.ndjson")
    (landing / "sub").mkdir()
    os.symlink("..", landing / "sub" / "up")
    return {"loop-a.ndjson", "loop-b.ndjson", "dangling.json", "pipe.ndjson", "sub/up/"}


def fuzz_run(plans_: list[Plan], pool: list[object], small_limits: bool, figures: Figures) -> None:
    """Write the files of `plans_` (and entries that cannot be read) to a fresh landing folder,
    ingest it, and check every record and entry is accounted for."""
    with tempfile.TemporaryDirectory() as folder:
        home = DataHome(Path(folder) / "home")
        home.landing.mkdir(parents=True)
        built = [build(plan, index, pool) for index, plan in enumerate(plans_)]
        for item in built:
            (home.landing / item.name).write_bytes(item.data)
        locked = home.landing / built[0].name
        locked.chmod(0o000)  # Read by root; named as unreadable for anyone else.
        cannot = unreadable_entries(home.landing)
        (home.landing / f"copy-of-{built[0].name}").write_bytes(built[0].data)  # Same bytes.
        (home.landing / "writing.ndjson.partial").write_bytes(b'{"half":')
        (home.landing / "notes.txt").write_bytes(b"not a landing format")
        figures.files += len(built) + 1
        figures.records += sum(item.written for item in built)
        saved = limits.MAX_RECORD_BYTES, limits.MAX_FILE_DECOMPRESSED_BYTES
        if small_limits:  # A 10 MB string is then too large, and a big gzip passes the limit.
            limits.MAX_RECORD_BYTES, limits.MAX_FILE_DECOMPRESSED_BYTES = 4 * MB, FILE_LIMIT
            built = [past_file_limit(b, FILE_LIMIT) if b.name.endswith(".gz") else b for b in built]
        started = time.perf_counter()
        try:
            with time_bound(SECONDS_PER_RUN):
                report = ingest(home, workers=1)
        except Hang:
            figures.hangs += 1
            raise
        except Exception:
            figures.crashes += 1
            raise
        finally:
            limits.MAX_RECORD_BYTES, limits.MAX_FILE_DECOMPRESSED_BYTES = saved
            locked.chmod(0o644)
        figures.runs += 1
        figures.slowest = max(figures.slowest, time.perf_counter() - started)
        try:
            check_accounted(home, report, built, cannot, os.geteuid() == 0)
        except AssertionError:
            figures.unaccounted += 1
            raise


def check_accounted(
    home: DataHome, report: IngestReport, built: list[Built], cannot: set[str], root: bool
) -> None:
    """Every landing entry is accounted for once; every record of a file read is in bronze."""
    results = {result.source_file: result for result in report.files}
    assert len(results) == len(report.files)
    skipped = {entry.entry: entry.reason for entry in report.skipped}
    assert all(reason.strip() for reason in skipped.values())
    assert cannot <= set(skipped), (cannot, skipped)
    assert report.in_progress == ["writing.ndjson.partial"] and report.ignored == ["notes.txt"]
    locked, copy = built[0].name, f"copy-of-{built[0].name}"
    if not root:
        assert skipped.pop(locked).startswith("cannot be read")
    same: dict[bytes, set[str]] = {}  # Files of the same bytes: ingested once, under one name.
    for item in built:
        same.setdefault(item.data, set()).add(item.name)
    same[built[0].data].add(copy)
    read: dict[str, str] = {}  # Each file's name -> the name it was read under.
    for names in same.values():
        names -= {locked} if not root else set()
        (name,) = names & set(results)
        assert names - {name} <= set(report.already_ingested)
        read.update(dict.fromkeys(names, name))
    assert len(report.already_ingested) == sum(len(names) - 1 for names in same.values())
    events = bronze_table(home, "hook_events")
    rejects = bronze_table(home, "hook_rejects")
    if not rejects.is_empty():
        assert rejects["error"].null_count() == 0
        assert (rejects["error"].str.strip_chars().str.len_chars() > 0).all()
    assert set(read) - {copy} == {item.name for item in built} - ({locked} if not root else set())
    for item in built:
        if item.name in read:
            check_file(item, results[read[item.name]], events, rejects, read[item.name])


def check_file(
    item: Built, result: FileResult, events: pl.DataFrame, rejects: pl.DataFrame, name: str
) -> None:
    """The records of `item`, read as `name`, are each kept or rejected as it was built."""
    kept = _positions(events, name)
    rejected = _positions(rejects, name)
    what = f"{name} ({len(item.data):,} bytes)"
    assert (len(kept), len(rejected)) == (result.kept, result.rejected), what
    assert result.records == result.kept + result.rejected, what
    assert len(set(kept)) == len(kept), f"{what}: a record kept twice"
    if item.positions is not None:
        assert not result.damaged, f"{what}: damaged, {_reasons(rejects, name)}"
        assert len(set(rejected)) == len(rejected), f"{what}: a position rejected twice"
        assert set(kept) | set(rejected) == item.positions, (what, _reasons(rejects, name))
        assert not set(kept) & set(rejected), what
        return
    assert result.records >= item.at_least, (what, item, result, _reasons(rejects, name))
    if item.intact is not None and not result.damaged:
        assert result.records >= item.intact, (what, result, _reasons(rejects, name))
    if item.must_damage:
        assert result.damaged, f"{what}: past MAX_FILE_DECOMPRESSED_BYTES, but not damaged"
    if result.damaged:
        assert rejected, f"{what}: damaged, but no rejection says so"


def _positions(frame: pl.DataFrame, name: str) -> list[int]:
    if frame.is_empty():
        return []
    return frame.filter(pl.col("source_file") == name)["position"].to_list()


def _reasons(rejects: pl.DataFrame, name: str) -> list[str]:
    if rejects.is_empty():
        return []
    chosen = rejects.filter(pl.col("source_file") == name)
    return sorted({error[:120] for error in chosen["error"].to_list()})[:10]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fuzz(examples: int, files: tuple[int, int], records: int, *, seed: int = 0) -> Figures:
    """Run `examples` fuzz runs of `files` landing files of up to `records` records each."""
    figures = Figures()
    process = psutil.Process()
    before, started = peak_rss_mb(), time.perf_counter()

    @settings(
        max_examples=examples, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate],  # Not shrunk: a run takes seconds.
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.large_base_example],
    )  # fmt: skip
    @given(
        plans_=st.lists(plans(records), min_size=files[0], max_size=files[1]),
        pool=POOL,
        small_limits=st.booleans(),
        salt=st.just(seed),
    )
    def one_run(plans_: list[Plan], pool: list[object], small_limits: bool, salt: int) -> None:
        salted = [replace(plan, seed=plan.seed ^ salt) for plan in plans_]  # Other records.
        fuzz_run(salted, pool, small_limits, figures)
        assert process.memory_info().rss / MB < before + RSS_GROWTH_LIMIT_MB

    one_run()
    peak = peak_rss_mb()
    print("\n" + figures.line(time.perf_counter() - started, peak))
    assert peak - before < RSS_GROWTH_LIMIT_MB, f"peak RSS grew {peak - before:.0f} MB"
    assert (figures.crashes, figures.hangs, figures.unaccounted) == (0, 0, 0)
    return figures


def test_hostile_records_and_files_are_each_kept_or_rejected_and_never_stop_the_ingest() -> None:
    figures = fuzz(examples=8, files=(3, 5), records=600)
    assert figures.records >= 3_000 and figures.runs == 8


@pytest.mark.stress
def test_a_hundred_thousand_hostile_records_are_each_kept_or_rejected() -> None:
    figures = fuzz(examples=45, files=(3, 6), records=1_500, seed=0x5EED)
    assert figures.records >= 100_000 and figures.runs == 45


# Compression bombs, with the real limits, each ingest in a process of its own (its peak RSS).

BOMB_INGEST = """
import json, resource, sys, time
from pathlib import Path
from orchestration.ingest import ingest
from orchestration.paths import DataHome

ingest(DataHome(Path(sys.argv[1])), workers=1)  # Every lazy import done, a small file's peak.
before, started = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.perf_counter()
report = ingest(DataHome(Path(sys.argv[2])), workers=1)
print(json.dumps({
    "growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
    "seconds": time.perf_counter() - started,
    "files": {f.source_file: [f.records, f.kept, f.rejected, f.damaged] for f in report.files},
    "skipped": [str(entry) for entry in report.skipped]}))
"""
BOMB_PAYLOADS = {  # What 16 MiB of a bomb repeat, after a first piece.
    "zeros": (b"", b"\0"), "newlines": (b"", b"\n"), "blank": (b"", b" \r\n"),
    "brackets": (b"[", b"["), "objects": (b"[", b'{"a":'), "string": (b'["', b"a"),
    "long line": (line(event()).encode(), b"a"),
}  # fmt: skip
BOMB_GROWTH_LIMIT_MB = 600


def write_bomb(path: Path, kind: str, pieces: int, one_member: bool) -> None:
    """A gzip file of `pieces` times 16 MiB of `kind` (after its first piece, and a blank line
    in NDJSON: the two formats' files differ): one member, or a member per piece (as
    `cat a.gz b.gz` makes)."""
    first, unit = BOMB_PAYLOADS[kind]
    first = first if path.name.endswith(".json.gz") else b"\n" + first
    chunk = unit * (16 * MB // len(unit))
    with path.open("wb") as out:
        if one_member:
            packer = zlib.compressobj(6, zlib.DEFLATED, 31)
            out.write(packer.compress(first))
            for _ in range(pieces):
                out.write(packer.compress(chunk))
            out.write(packer.flush())
            return
        out.write(gzip.compress(first, mtime=0))
        member = gzip.compress(chunk, mtime=0)
        for _ in range(pieces):
            out.write(member)


def bomb_run(kind: str, pieces: int, one_member: bool, tmp: Path) -> dict:
    warm, home = DataHome(tmp / "warm"), DataHome(tmp / "home")
    for data_home in (warm, home):
        data_home.landing.mkdir(parents=True)
    (warm.landing / "small.ndjson").write_text(line(event()) + "\n")
    for suffix in (".ndjson.gz", ".json.gz"):
        write_bomb(home.landing / f"bomb{suffix}", kind, pieces, one_member)
    done = subprocess.run(
        [sys.executable, "-c", BOMB_INGEST, str(warm.root), str(home.root)],
        capture_output=True, text=True, timeout=SECONDS_PER_RUN * 2, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    outcome: dict = json.loads(done.stdout)
    rejects = bronze_table(home, "hook_rejects")
    outcome["reasons"] = {} if rejects.is_empty() else dict(
        rejects.group_by("source_file").agg(pl.col("error")).iter_rows()
    )  # fmt: skip
    return outcome


def bombs(examples: int, most: int) -> list[float]:
    """Bombs of every kind, in both formats; the peak RSS growth of each ingest."""
    growths: list[float] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
    @given(
        kind=st.sampled_from(sorted(BOMB_PAYLOADS)),
        pieces=st.integers(5, most),  # 80 MiB or more decompressed, past RATIO_CHECK_BYTES
        one_member=st.booleans(),
    )
    def one_bomb(kind: str, pieces: int, one_member: bool) -> None:
        with tempfile.TemporaryDirectory() as folder:
            outcome = bomb_run(kind, pieces, one_member, Path(folder))
        assert outcome["skipped"] == []
        for name in ("bomb.ndjson.gz", "bomb.json.gz"):
            records, kept, rejected, damaged = outcome["files"][name]
            reasons = outcome["reasons"].get(name, [])
            assert records == kept + rejected == kept + len(reasons), (name, outcome)
            assert all(reason.strip() for reason in reasons)
            blank = kind in ("newlines", "blank") and name.endswith(".ndjson.gz")
            too_large = any("above MAX_RECORD_BYTES" in reason for reason in reasons)
            assert damaged or too_large or blank, (kind, name, outcome)  # Stopped, and says so.
            assert records >= (0 if blank else 1)
        assert outcome["growth_mb"] < BOMB_GROWTH_LIMIT_MB, outcome
        growths.append(outcome["growth_mb"])

    one_bomb()
    return growths


def test_compression_bombs_stop_at_a_limit_in_bounded_memory_and_say_so() -> None:
    growths = bombs(examples=2, most=5)
    print(f"\nbombs: {len(growths)} runs, peak RSS growth {max(growths):.0f} MB")


@pytest.mark.stress
def test_compression_bombs_of_every_kind_stop_at_a_limit_in_bounded_memory() -> None:
    growths = bombs(examples=12, most=10)
    print(f"\nbombs: {len(growths)} runs, peak RSS growth {max(growths):.0f} MB")
