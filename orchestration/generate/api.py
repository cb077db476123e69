"""`generate_dumps`: plan day by day, serialize and write each day (in worker processes for
large runs), then merge what belongs to later days and report.

Determinism: the world, the planner and every day's writer draw from RNGs derived from the
seed (`numpy.random.SeedSequence([seed, purpose, day])`); days are planned in order and each
day's files are written by exactly one worker, so the output does not depend on the number of
workers or on scheduling. gzip output carries mtime 0 and no file name.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from orchestration.generate.finish import build_report, merge_spill
from orchestration.generate.malloc import restore_malloc, tune_malloc
from orchestration.generate.plan.planner import Planner
from orchestration.generate.report import GenerateReport
from orchestration.generate.workers import write_days_inline, write_days_parallel
from orchestration.generate.world.build import build_world
from orchestration.generate.write.layout import SPILL_DIR, WriterConfig

TRUNCATE_MIN_EVENTS = 100_000
"""A gzip file is cut short only in runs at least this large (and with malformed_rate > 0)."""
PARALLEL_MIN_EVENTS = 200_000
"""Below this, everything runs in the calling process."""


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
    `orchestration.generate.malloc`); the defaults are set back at the end.
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
    tune_malloc()
    try:
        if workers <= 0:
            results = write_days_inline(world, planner, cfg)
        else:
            results = write_days_parallel(world, planner, cfg, workers)
    finally:
        restore_malloc()

    if layout == "ndjson":
        merge_spill(cfg)
    return build_report(cfg, results, time.perf_counter() - began)
