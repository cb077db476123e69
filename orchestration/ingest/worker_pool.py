"""The parse worker pool of one ingest: spawned processes with their allocator setting, which
end with the ingest's process and hold its warehouse lock (orchestration/processes.py)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

from orchestration.ingest.block_task import ready
from orchestration.processes import die_with_parent
from orchestration.warehouse.lock import receive_lock, share_address

PARALLEL_MIN_BYTES = 48 * 1024 * 1024
"""Below this much new input, parsing in this process beats starting workers."""

WORKER_JEMALLOC = "dirty_decay_ms:-1,muzzy_decay_ms:-1"
"""Added last to the parse workers' `_RJEM_MALLOC_CONF`, so it wins over Polars' own default
(pages freed for 0.5 s go back to the system). Polars' allocator then keeps the pages one
block frees for the next block: on a 1 GB dump the workers take 60% fewer page faults and
the ingest about 5% less time, while a worker's memory stays what its largest block needs."""


def start_worker(parent: int, lock_address: str | None) -> None:
    """The first thing each parse worker does: end with the ingest's process, `parent` (on
    Linux; a worker left behind would wait for blocks for ever), and, since workers stage
    bronze parts, hold the warehouse lock it holds (when it holds one)."""
    die_with_parent(parent)
    if lock_address:
        receive_lock(lock_address, what="ingest parse worker")


@contextmanager
def _jemalloc_conf(extra: str) -> Iterator[None]:
    """`extra` added to the jemalloc settings of the processes started inside."""
    name = "_RJEM_MALLOC_CONF"
    before = os.environ.get(name)
    os.environ[name] = f"{before},{extra}" if before else extra
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


class WorkerPool:
    """The parse worker processes of one ingest: started when there is enough to parse,
    shut down when the ingest ends. The jemalloc setting holds for the whole time, so a
    worker the pool starts late gets it too (this process's allocator is set up already)."""

    def __init__(self, workers: int | None) -> None:
        self.count = workers if workers is not None else (os.cpu_count() or 1)
        self.executor: ProcessPoolExecutor | None = None
        self._environment = _jemalloc_conf(WORKER_JEMALLOC)

    def __enter__(self) -> WorkerPool:
        self._environment.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.executor is not None:
                self.executor.shutdown(cancel_futures=True)
        finally:
            self._environment.__exit__(None, None, None)

    @property
    def depth(self) -> int:
        """How many blocks to keep in flight: two per worker, so none waits for the next."""
        return 2 * (self.count if self.executor is not None else 1)

    def start(self, new_bytes: int) -> None:
        """Start the workers, unless they run already or `new_bytes` is too little for them.

        They start at once, not with the first block: they import while this process
        hashes the files.
        """
        if self.executor is not None or self.count <= 1 or new_bytes < PARALLEL_MIN_BYTES:
            return
        context = multiprocessing.get_context("spawn")
        self.executor = ProcessPoolExecutor(
            self.count,
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(), share_address()),
        )
        # A spawn pool starts a worker for each task sent while none of its workers is idle.
        for _ in range(self.count):
            self.executor.submit(ready)
