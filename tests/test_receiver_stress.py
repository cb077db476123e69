"""The receiver's long fault runs (`make stress`): the quick ones of test_receiver_faults.py at
length, and a sustained load.

- 100 SIGKILLs mid-stream, then the same checks as the quick run's 20.
- 10,000 hostile requests (the quick run sends 1,200).
- 50 posters sending 100-message batches at 50,000 messages a second for
  HOOKHOUSE_STRESS_RECEIVER_SECONDS (default 300), the server's resident memory sampled every
  second: every batch answered 200 and in the landing files once, whole; memory flat (the
  largest sample of the last minute at most 1.2 times that of the first, plus 20 MiB). The
  figures are printed (`pytest -s`).
"""

from __future__ import annotations

import json
import os
import shutil

import pytest

from orchestration.paths import DataHome
from tests.receiver_load import generated_messages, post_paced, tag_of, tagged_batch
from tests.receiver_process import TOKEN, RssSampler, committed_files, metric_values, start_serve
from tests.test_receiver_faults import crash_run, hostile_run

pytestmark = pytest.mark.stress

SECONDS = float(os.environ.get("HOOKHOUSE_STRESS_RECEIVER_SECONDS", "300"))
POSTERS, BATCH, RATE = 50, 100, 50_000
MIB = 1 << 20


def test_a_hundred_sigkills_mid_stream_lose_nothing(home: DataHome) -> None:
    run = crash_run(home, kills=100, seed=23)
    print(
        f"crash: {len(run.delays)} kills at {min(run.delays):.3f}..{max(run.delays):.3f} s, "
        f"{run.batches} batches acknowledged, {run.posted} posted, "
        f"{run.abandoned} abandoned temporary files (+{run.planted} planted) removed by the "
        "next start"
    )


def test_ten_thousand_hostile_requests(home: DataHome) -> None:
    kinds = hostile_run(home, requests=10_000, seed=29)
    print(f"hostile: {sum(kinds.values())} requests: {dict(kinds)}")


def landed_once(home: DataHome, batches: int, size: int) -> bytearray:
    """How many times each of `batches` batches is in the committed landing files, after
    checking that each file is whole batches (each batch's first and last line in place)."""
    counts = bytearray(batches)
    for path in committed_files(home):
        lines = path.read_bytes().split(b"\n")
        assert lines.pop() == b"" and len(lines) % size == 0, f"{path.name} is not whole batches"
        for start in range(0, len(lines), size):
            first, last = tag_of(lines[start]), tag_of(lines[start + size - 1])
            assert first % size == 0 and last == first + size - 1, f"{path.name}: cut at {start}"
            counts[first // size] += 1
    return counts


def test_sustained_load_loses_nothing_in_flat_memory(home: DataHome) -> None:
    messages = generated_messages(20_000)
    serve = start_serve(home, "--rate", "0")
    try:
        with RssSampler(serve.process.pid) as rss:
            result = post_paced(
                serve.port, TOKEN, lambda number: tagged_batch(messages, number, BATCH),
                POSTERS, RATE / BATCH, seconds=SECONDS,
            )  # fmt: skip
        commits = metric_values(serve.url).get("hookhouse_receiver_commits_total", -1)
    finally:
        code = serve.stop()
    try:
        assert code == 0
        sent = (
            len(result.acknowledged)
            + len(result.unanswered)
            + sum(count for status, count in result.statuses.items() if status != 200)
        )
        assert dict(result.statuses) == {200: sent} and not result.unanswered, result.statuses
        counts = landed_once(home, sent, BATCH)
        assert counts == bytearray([1]) * sent, "a batch answered 200 is not in landing once"
    finally:
        shutil.rmtree(home.receiver_landing, ignore_errors=True)  # gigabytes
    window = min(60.0, SECONDS / 3)
    end = rss.samples[-1][0]
    first, last, peak = rss.peak(0, window), rss.peak(end - window), rss.peak()
    figures = {
        "seconds": round(result.seconds, 1),
        "batches_per_s": round(sent / result.seconds, 1),
        "messages_per_s": round(sent * BATCH / result.seconds),
        "p50_ms": round(result.percentile(0.5) * 1000, 1),
        "p99_ms": round(result.percentile(0.99) * 1000, 1),
        "max_ms": round(max(result.latencies) * 1000, 1),
        "behind_ms": round(result.behind * 1000, 1),
        "commits": int(commits),
        "rss_mib_first_window_max": round(first / MIB, 1),
        "rss_mib_max": round(peak / MIB, 1),
        "rss_mib_last_window_max": round(last / MIB, 1),
        "rss_mib_last": round(rss.samples[-1][1] / MIB, 1),
        "window_s": window,
    }
    print("sustained:", json.dumps(figures))
    assert sent * BATCH >= 0.95 * RATE * SECONDS, "the target rate was not sustained"
    assert last <= first * 1.2 + 20 * MIB, f"memory grew: {first / MIB:.0f} -> {last / MIB:.0f} MiB"
