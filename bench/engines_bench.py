"""DuckDB against Spark on the same bronze: the full build and the nightly run, side by side.

    .venv/bin/python bench/engines_bench.py [--events 1000000 10000000] [--days 30] [--seed 5]

For each size: generates `--events` events over `--days` + 1 days (cached under bench/out/,
as bench/dbt_bench.py does), and in one data home ingests the first `--days` days and builds
them on DuckDB, then builds the same bronze on Spark (`HOOKHOUSE_TARGET=spark`, `local[2]`
unless HOOKHOUSE_SPARK_MASTER says otherwise); then lands the last day and runs the nightly
build on DuckDB, then on Spark. Each build is one `hookhouse run` (the Dagster job) in a
process of its own; its peak memory is the largest sum of the resident memory of that
process and every process under it (dbt with DuckDB in it, or dbt and Spark's JVM), sampled
every 0.2 s. Reports seconds of the dbt steps, peak memory,
the nightly run as a share of the full build, and how each grows from one size to the next.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil  # Dagster's own dependency: the memory of a process tree
from process_tree import tree_rss

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

ENGINES = ("duckdb", "spark")


def one_run(home: str) -> None:
    """A `hookhouse run` in this process; prints its dbt seconds."""
    from dbt_bench import job_run

    from orchestration.paths import DataHome

    _, dbt_seconds, kept = job_run(DataHome(Path(home)))
    print(json.dumps({"dbt_seconds": dbt_seconds, "kept": kept}))


def timed_run(home: Path, target: str) -> dict[str, float]:
    env = {
        **os.environ,
        "HOOKHOUSE_HOME": str(home),
        "HOOKHOUSE_TARGET": target,
        "SPARK_LOCAL_IP": "127.0.0.1",
        "HOOKHOUSE_SPARK_MASTER": os.environ.get("HOOKHOUSE_SPARK_MASTER", "local[2]"),
    }
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [sys.executable, __file__, "--one-run", str(home)], env=env, stdout=out, stderr=err
        )
        watched, peak = psutil.Process(child.pid), 0
        while child.poll() is None:
            peak = max(peak, tree_rss(watched))
            time.sleep(0.2)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if child.returncode != 0:
        sys.exit(f"the run on {target} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    result: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    result["peak_mib"] = peak / 2**20
    print(f"  {target}: {result}", flush=True)
    return result


def bench_size(events: int, days: int, seed: int) -> dict[str, dict[str, dict[str, float]]]:
    import shutil

    from dbt_bench import dumps

    source = dumps(events, days + 1, seed)
    nights = sorted(p for p in source.iterdir() if p.is_dir())
    home = OUT / f"engines-home-{events}"
    shutil.rmtree(home, ignore_errors=True)
    (home / "landing").mkdir(parents=True)
    for night in nights[:days]:
        os.symlink(night, home / "landing" / night.name)
    figures: dict[str, dict[str, dict[str, float]]] = {"full": {}, "nightly": {}}
    print(f"{events:,} events: full build", flush=True)
    for engine in ENGINES:
        figures["full"][engine] = timed_run(home, engine)
    for night in nights[days:]:
        os.symlink(night, home / "landing" / night.name)
    print(f"{events:,} events: nightly run", flush=True)
    for engine in ENGINES:
        figures["nightly"][engine] = timed_run(home, engine)
    return figures


def report(sizes: dict[int, dict[str, dict[str, dict[str, float]]]]) -> str:
    lines = [
        "| events | engine | full build s | nightly s | nightly / full | peak MiB full / nightly |",
        "|---|---|---|---|---|---|",
    ]
    for events, figures in sizes.items():
        for engine in ENGINES:
            full, night = figures["full"][engine], figures["nightly"][engine]
            lines.append(
                f"| {events:,} | {engine} | {full['dbt_seconds']:.1f} | {night['dbt_seconds']:.1f}"
                f" | {night['dbt_seconds'] / full['dbt_seconds']:.1%}"
                f" | {full['peak_mib']:.0f} / {night['peak_mib']:.0f} |"
            )
    counts = sorted(sizes)
    for small, large in itertools.pairwise(counts):
        for engine in ENGINES:
            for build in ("full", "nightly"):
                ratio = (
                    sizes[large][build][engine]["dbt_seconds"]
                    / sizes[small][build][engine]["dbt_seconds"]
                )
                lines.append(
                    f"- {engine} {build}: x{ratio:.2f} in seconds for x{large / small:.0f} events"
                )
    for events, figures in sizes.items():
        ratio = figures["full"]["spark"]["dbt_seconds"] / figures["full"]["duckdb"]["dbt_seconds"]
        lines.append(f"- {events:,} events: Spark's full build takes x{ratio:.1f} DuckDB's")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--one-run", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        one_run(args.one_run)
        return 0
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = {events: bench_size(events, args.days, args.seed) for events in args.events}
    text = report(sizes)
    print(text)
    (OUT / f"engines-{time.strftime('%Y%m%dT%H%M%S')}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
