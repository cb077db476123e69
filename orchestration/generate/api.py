"""`generate_dumps`: plan day by day, serialize and write each day (in worker processes for
large runs), then merge what belongs to later days and report.

Determinism: the world, the planner and every day's writer draw from RNGs derived from the
seed (`numpy.random.SeedSequence([seed, purpose, day])`); days are planned in order and each
day's files are written by exactly one worker, so the output does not depend on the number of
workers or on scheduling. gzip output carries mtime 0 and no file name.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import shutil
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from orchestration.generate.constants import ETYPES
from orchestration.generate.entities import ACCOUNTS, World, build_world
from orchestration.generate.events import DayTable
from orchestration.generate.funnels import Launch
from orchestration.generate.planner import Planner
from orchestration.generate.records import PRODUCER_OPTION, Serializer
from orchestration.generate.report import GenerateReport
from orchestration.generate.writer import SPILL_DIR, DayResult, DayWriter, WriterConfig, day_folder

TRUNCATE_MIN_EVENTS = 100_000
"""A gzip file is cut short only in runs at least this large (and with malformed_rate > 0)."""
PARALLEL_MIN_EVENTS = 200_000
"""Below this, everything runs in the calling process."""

PRODUCER_CODES = {"kafka": 0, "rmq": 1, "http": 2}


def generate_dumps(
    out_dir: Path,
    events: int,
    seed: int,
    *,
    days: int = 30,
    start: date = date(2026, 10, 1),
    duplicate_rate: float = 0.01,
    late_rate: float = 0.02,
    malformed_rate: float = 0.001,
    layout: Literal["mixed", "ndjson"] = "mixed",
    workers: int | None = None,
) -> GenerateReport:
    """Write synthetic Altcraft action-hook dumps under `out_dir/YYYY-MM-DD/`.

    `events` is the approximate number of valid records (duplicates included); the report
    has the exact counts. `workers`: processes that serialize and write days (default: up to
    2 for runs of 200k events or more, else 0 = in this process; workers are forked where the
    platform can fork). Files already in `out_dir` with other names are left alone;
    same-named ones are overwritten. While it runs, glibc is told to keep freed memory (see
    `_tune_malloc`); the defaults are set back at the end.
    """
    began = time.perf_counter()
    if events < 0:
        raise ValueError("events must be >= 0")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    if days < 1:
        raise ValueError("days must be >= 1")
    if layout not in ("mixed", "ndjson"):
        raise ValueError(f"unknown layout {layout!r}")
    for name, rate in (
        ("duplicate_rate", duplicate_rate),
        ("late_rate", late_rate),
        ("malformed_rate", malformed_rate),
    ):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"{name} must be in [0, 1)")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out_dir / SPILL_DIR, ignore_errors=True)
    start_ns = int(np.datetime64(start, "D").astype("datetime64[ns]").astype(np.int64))
    if events == 0:
        return GenerateReport(str(out_dir), seed, layout, days, [], 0, 0, 0, {}, 0)

    world = build_world(seed, events, days, start_ns)
    planner = Planner(world, events, duplicate_rate)
    truncate = (
        days // 2
        if layout == "mixed" and malformed_rate > 0 and events >= TRUNCATE_MIN_EVENTS
        else -1
    )
    cfg = WriterConfig(
        out_dir=out_dir,
        layout=layout,
        seed=seed,
        start=start,
        days=days,
        duplicate_rate=duplicate_rate,
        late_rate=late_rate,
        malformed_rate=malformed_rate,
        truncate_day=truncate,
    )
    if workers is None:
        workers = min(2, os.cpu_count() or 1) if events >= PARALLEL_MIN_EVENTS else 0
    results: list[DayResult] = []
    _tune_malloc()
    try:
        if workers <= 0:
            serializer = Serializer(world)
            for d in range(days):
                table, launches = planner.plan_day(d)
                results.append(write_day(world, serializer, cfg, table, launches))
        else:
            results = _run_parallel(world, planner, cfg, days, workers)
    finally:
        _mallopt(GLIBC_DEFAULTS)

    if layout == "ndjson":
        _merge_spill(cfg)
    return _report(cfg, results, time.perf_counter() - began)


# ---------------------------------------------------------------------- one day


def write_day(
    world: World,
    serializer: Serializer,
    cfg: WriterConfig,
    table: DayTable,
    launches: dict[int, Launch],
) -> DayResult:
    fmt_rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 4, table.day]))
    acct = serializer.prepare(table, fmt_rng)
    cols = serializer.cols
    prof = cols["prof"]
    producer_of_account = np.array([PRODUCER_CODES[a.producer] for a in ACCOUNTS], dtype=np.int8)
    producer = producer_of_account[acct]
    deleted = (prof >= 0) & world.profiles.deleted[np.maximum(prof, 0)]
    producer[deleted] = 3
    partition = np.where(prof >= 0, prof, cols["launch"]) % 2
    option_of_account = np.array([PRODUCER_OPTION[a.producer] for a in ACCOUNTS], dtype=np.int64)
    writer = DayWriter(cfg, table.day)
    stream = writer.stream_index(producer, partition)
    counts = np.bincount(cols["et"], minlength=len(ETYPES))
    type_counts = {ETYPES[k]: int(v) for k, v in enumerate(counts.tolist()) if v}
    records = serializer.iter_records(launches, acct)
    return writer.write(records, cols["t"], stream, option_of_account[acct], type_counts)


# ---------------------------------------------------------------------- workers

_WORKER: dict[str, object] = {}


M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
TUNED = {M_TRIM_THRESHOLD: 128 << 20, M_TOP_PAD: 32 << 20, M_MMAP_THRESHOLD: 32 << 20}
GLIBC_DEFAULTS = {M_TRIM_THRESHOLD: 128 << 10, M_TOP_PAD: 128 << 10, M_MMAP_THRESHOLD: 128 << 10}


def _mallopt(settings: dict[int, int]) -> None:
    """Set glibc malloc parameters; silently nothing where glibc is not there."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        for param, value in settings.items():
            libc.mallopt(param, value)


def _tune_malloc() -> None:
    """Keep freed memory in the process instead of handing it back to the OS.

    The generator allocates and frees a lot of short-lived memory; on VMs with free-page
    reporting (like this project's machines) every page handed back costs a fault when it is
    touched again, which made the generator 2-3x slower. Worker processes keep the setting;
    the calling process gets glibc's defaults back when the run ends.
    """
    _mallopt(TUNED)


def _init_worker(world: World, cfg: WriterConfig) -> None:
    _tune_malloc()
    _WORKER["world"] = world
    _WORKER["cfg"] = cfg
    _WORKER["serializer"] = Serializer(world)


def _work(table: DayTable, launches: dict[int, Launch]) -> DayResult:
    world = _WORKER["world"]
    assert isinstance(world, World)
    cfg = _WORKER["cfg"]
    assert isinstance(cfg, WriterConfig)
    serializer = _WORKER["serializer"]
    assert isinstance(serializer, Serializer)
    return write_day(world, serializer, cfg, table, launches)


def _run_parallel(
    world: World, planner: Planner, cfg: WriterConfig, days: int, workers: int
) -> list[DayResult]:
    methods = mp.get_all_start_methods()
    context = mp.get_context("fork" if "fork" in methods else None)
    results: list[DayResult] = []
    pending: deque[Future[DayResult]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(world, cfg)
    ) as pool:
        for d in range(days):
            table, launches = planner.plan_day(d)
            pending.append(pool.submit(_work, table, launches))
            while len(pending) > workers + 1:
                results.append(pending.popleft().result())
        while pending:
            results.append(pending.popleft().result())
    return results


# ---------------------------------------------------------------------- finishing


def _merge_spill(cfg: WriterConfig) -> None:
    """ndjson layout: append late records and cross-day duplicates to their dump day's file."""
    spill = cfg.out_dir / SPILL_DIR
    if not spill.exists():
        return
    for target_dir in sorted(spill.iterdir()):
        target = int(target_dir.name)
        folder, iso, _ = day_folder(cfg, target)
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"hooks-{iso}.ndjson").open("ab") as out:
            for part in sorted(target_dir.iterdir()):
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
    shutil.rmtree(spill)


def _report(cfg: WriterConfig, results: list[DayResult], seconds: float) -> GenerateReport:
    files: set[str] = set()
    malformed: dict[str, int] = {}
    oddities: dict[str, int] = {}
    by_type: dict[str, int] = {}
    truncated: dict[str, dict[str, int]] = {}
    events = duplicates = late = 0
    for r in results:
        files.update(r.files)
        events += r.events
        duplicates += r.duplicates
        late += r.late
        for src, dst in ((r.malformed, malformed), (r.oddities, oddities), (r.by_type, by_type)):
            for k, v in src.items():
                dst[k] = dst.get(k, 0) + v
        truncated.update(r.truncated)
    if cfg.layout == "ndjson":
        for d in range(cfg.days + 1):
            folder, iso, _ = day_folder(cfg, d)
            if (folder / f"hooks-{iso}.ndjson").exists():
                files.add(f"{iso}/hooks-{iso}.ndjson")
    listed = sorted(files)
    size = sum((cfg.out_dir / f).stat().st_size for f in listed)
    return GenerateReport(
        out_dir=str(cfg.out_dir),
        seed=cfg.seed,
        layout=cfg.layout,
        days=cfg.days,
        files=listed,
        events=events,
        duplicates=duplicates,
        late=late,
        malformed=dict(sorted(malformed.items())),
        bytes=size,
        oddities=dict(sorted(oddities.items())),
        truncated=truncated,
        by_type=dict(sorted(by_type.items())),
        seconds=seconds,
    )
