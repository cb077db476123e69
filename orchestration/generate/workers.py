"""Serializing and writing days: `write_day` for one day, in this process or a worker pool.

Each day's files are written by exactly one worker, from RNGs derived from the seed and the
day, so the output does not depend on the number of workers or on scheduling.
"""

from __future__ import annotations

import multiprocessing as mp
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from orchestration.generate.constants import ETYPES
from orchestration.generate.malloc import tune_malloc
from orchestration.generate.plan.events import DayTable, Launch
from orchestration.generate.plan.planner import Planner
from orchestration.generate.serialize.producers import PRODUCER_OPTION
from orchestration.generate.serialize.serializer import Serializer
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import World
from orchestration.generate.write.day_writer import PRODUCER_CODES, DayWriter
from orchestration.generate.write.layout import WriterConfig
from orchestration.generate.write.result import DayResult


def write_day(
    world: World,
    serializer: Serializer,
    cfg: WriterConfig,
    table: DayTable,
    launches: dict[int, Launch],
) -> DayResult:
    """Serialize one planned day and write it (with its defects) as landing files."""
    fmt_rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 4, table.day]))
    day = serializer.prepare(table, fmt_rng)
    acct = day.acct
    cols = day.cols
    prof = cols["prof"]
    producer_of_account = np.array([PRODUCER_CODES[a.producer] for a in ACCOUNTS], dtype=np.int8)
    producer = producer_of_account[acct]
    deleted = (prof >= 0) & world.profiles.deleted[np.maximum(prof, 0)]
    producer[deleted] = PRODUCER_CODES["history"]
    partition = np.where(prof >= 0, prof, cols["launch"]) % 2
    option_of_account = np.array([PRODUCER_OPTION[a.producer] for a in ACCOUNTS], dtype=np.int64)
    writer = DayWriter(cfg, table.day)
    stream = writer.stream_index(producer, partition)
    counts = np.bincount(cols["et"], minlength=len(ETYPES))
    type_counts = {ETYPES[k]: int(v) for k, v in enumerate(counts.tolist()) if v}
    records = serializer.iter_records(day, launches)
    return writer.write(records, cols["t"], stream, option_of_account[acct], type_counts)


def write_days_inline(world: World, planner: Planner, cfg: WriterConfig) -> list[DayResult]:
    """Plan and write every day in this process."""
    serializer = Serializer(world)
    results = []
    for d in range(cfg.days):
        table, launches = planner.plan_day(d)
        results.append(write_day(world, serializer, cfg, table, launches))
    return results


@dataclass
class _WorkerState:
    world: World
    cfg: WriterConfig
    serializer: Serializer


_WORKER: dict[str, _WorkerState] = {}
"""The worker process's world, config and serializer (set by `_init_worker`)."""


def _init_worker(world: World, cfg: WriterConfig) -> None:
    tune_malloc()
    _WORKER["state"] = _WorkerState(world, cfg, Serializer(world))


def _work(table: DayTable, launches: dict[int, Launch]) -> DayResult:
    w = _WORKER["state"]
    return write_day(w.world, w.serializer, w.cfg, table, launches)


def write_days_parallel(
    world: World, planner: Planner, cfg: WriterConfig, workers: int
) -> list[DayResult]:
    """Plan the days here, in order, and write them in `workers` processes (forked where the
    platform can fork); at most workers + 1 planned days wait for a worker."""
    methods = mp.get_all_start_methods()
    context = mp.get_context("fork" if "fork" in methods else None)
    results: list[DayResult] = []
    pending: deque[Future[DayResult]] = deque()
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(world, cfg)
    ) as pool:
        for d in range(cfg.days):
            table, launches = planner.plan_day(d)
            pending.append(pool.submit(_work, table, launches))
            while len(pending) > workers + 1:
                results.append(pending.popleft().result())
        while pending:
            results.append(pending.popleft().result())
    return results
