"""The HTTP receiver's throughput and latency: `hookhouse serve` on a fresh temporary data home.

    .venv/bin/python bench/receiver_bench.py [--seconds 30] [--posters 50] [--batch 100]
        [--rate 50000]

Starts the receiver (`--rate 0`: no per-token limit) and runs two phases of `--seconds` each
from `--posters` keep-alive connections posting `--batch`-message batches of generated events
(each message made distinct by a leading `hh_seq`): (a) as fast as possible, (b) paced at
`--rate` messages a second. For each: batches/s, messages/s, p50/p99/max latency (from the
request's first byte to the answer's last), the server's peak resident memory (sampled every
0.2 s), and its landing commits (each one file fsync and one folder fsync). Then checks that
every batch answered 200 is in the landing files. Prints the figures as JSON and writes them
to bench/out/receiver-<UTC time>.json. Client and server share the machine: on 2 cores the
as-fast-as-possible figure is the pair's, not the server's alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

from orchestration.paths import DataHome  # noqa: E402
from tests.receiver_load import generated_messages, post_paced, tag_of, tagged_batch  # noqa: E402
from tests.receiver_process import (  # noqa: E402
    TOKEN,
    RssSampler,
    ServeProcess,
    committed_files,
    metric_values,
    start_serve,
)

MIB = 1 << 20


def phase(serve: ServeProcess, args: argparse.Namespace, messages: list[bytes], first: int,
          per_second: float) -> tuple[dict[str, Any], set[int]]:  # fmt: skip
    """One phase of load; its figures, and the batch numbers answered 200."""
    commits_before = metric_values(serve.url).get("hookhouse_receiver_commits_total", 0.0)
    with RssSampler(serve.process.pid, every=0.2) as rss:
        result = post_paced(
            serve.port, TOKEN, lambda n: tagged_batch(messages, first + n, args.batch),
            args.posters, per_second, seconds=args.seconds,
        )  # fmt: skip
    commits = metric_values(serve.url).get("hookhouse_receiver_commits_total", 0.0) - commits_before
    answered = sum(result.statuses.values())
    acknowledged = len(result.acknowledged)
    figures = {
        "target_messages_per_s": per_second * args.batch if per_second else "as fast as possible",
        "seconds": round(result.seconds, 2),
        "statuses": {str(status): count for status, count in sorted(result.statuses.items())},
        "unanswered": len(result.unanswered),
        "batches_per_s": round(acknowledged / result.seconds, 1),
        "messages_per_s": round(acknowledged * args.batch / result.seconds),
        "p50_ms": round(result.percentile(0.5) * 1000, 2),
        "p99_ms": round(result.percentile(0.99) * 1000, 2),
        "max_ms": round(max(result.latencies, default=0.0) * 1000, 2),
        "server_peak_rss_mib": round(rss.peak() / MIB, 1),
        "commits": int(commits),
        "fsyncs": int(commits) * 2,
        "batches_per_commit": round(answered / commits, 1) if commits else None,
    }
    return figures, {first + index for index in result.acknowledged}


def landed_batches(home: DataHome, batch: int) -> set[int]:
    """The batch numbers in the committed landing files (each file holds whole batches)."""
    landed: set[int] = set()
    for path in committed_files(home):
        lines = path.read_bytes().split(b"\n")
        landed.update(tag_of(line) // batch for line in lines[:-1:batch])
    return landed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="of each phase")
    parser.add_argument("--posters", type=int, default=50, help="concurrent connections")
    parser.add_argument("--batch", type=int, default=100, help="messages per batch")
    parser.add_argument("--rate", type=float, default=50_000, help="paced messages a second")
    args = parser.parse_args()
    messages = generated_messages(20_000)
    report: dict[str, Any] = {"posters": args.posters, "batch": args.batch}
    with tempfile.TemporaryDirectory(prefix="receiver-bench-") as folder:
        home = DataHome(Path(folder) / "home")
        home.landing.mkdir(parents=True)
        serve = start_serve(home, "--rate", "0")
        try:
            fastest, acknowledged = phase(serve, args, messages, 0, 0.0)
            paced, more = phase(serve, args, messages, 10_000_000, args.rate / args.batch)
        finally:
            report["exit_code"] = serve.stop()
        landed = landed_batches(home, args.batch)
        report["lost_batches"] = len((acknowledged | more) - landed)
    report["as_fast_as_possible"], report["paced"] = fastest, paced
    text = json.dumps(report, indent=2)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    (OUT / f"receiver-{stamp}.json").write_text(text + "\n")
    return 0 if report["lost_batches"] == 0 and report["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
