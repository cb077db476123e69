"""dbt benchmark: a full build from bronze, then a nightly incremental run that adds one day.

    .venv/bin/python bench/dbt_bench.py [--events 10000000] [--days 30] [--seed 5] [--nightly-only]

Generates `--events` events over `--days` + 1 days (cached under bench/out/), ingests the
first `--days` days, and times `dbt build` (models and tests) as `hookhouse run` invokes it;
then lands the last day's dump and times the incremental build. The ratio
incremental / full says whether a nightly run costs in proportion to new data.

The data home as the full build left it is kept (bench/out/dbt-home-full), so
`--nightly-only` repeats just the nightly run from it, against the full build's recorded time.
Each build prints its slowest dbt nodes (from target/run_results.json).
`--marts-share` also times a full rebuild without the marts of issue 4 (campaign and
activity marts, engagement and deliverability, and their intermediate tables), to say what
those marts add to the full build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
sys.path.insert(0, str(REPO))

from orchestration.dbt_days import (  # noqa: E402
    dbt_build_args,
    event_days_env,
    plan_build,
    record_watermark,
)
from orchestration.ingest import ingest  # noqa: E402
from orchestration.paths import DataHome  # noqa: E402


def dumps(events: int, days: int, seed: int) -> Path:
    target = OUT / f"dbt-dumps-{events}-{days}d-seed{seed}"
    if not target.exists():
        from orchestration.generate import generate_dumps

        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        started = time.perf_counter()
        report = generate_dumps(partial, events, seed, days=days)
        print(f"generated: {report.summary()} ({time.perf_counter() - started:.0f}s)")
        partial.rename(target)
    return target


def slowest_nodes(count: int = 8) -> str:
    """The slowest nodes of the last dbt invocation, as `name seconds` pairs."""
    results = json.loads((REPO / "target" / "run_results.json").read_text())["results"]
    timed = sorted(results, key=lambda result: result["execution_time"], reverse=True)
    return ", ".join(
        f"{result['unique_id'].split('.')[-1]} {result['execution_time']:.1f}s"
        for result in timed[:count]
    )


# The marts of issue 4 and the intermediate tables that feed them (dbt selectors).
ISSUE_4_MARTS = (
    "path:models/marts/campaigns",
    "path:models/marts/activity",
    "path:models/intermediate",
    "profile_engagement",
    "deliverability_daily",
)


def dbt_build(
    home: DataHome, *, full_refresh: bool = False, exclude: tuple[str, ...] = ()
) -> tuple[float, int]:
    """Time one `dbt build` as the Dagster asset runs it; returns (seconds, event days)."""
    plan = plan_build(home, full_refresh=full_refresh)
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root), "DBT_PROFILES_DIR": str(REPO)}
    env.update(event_days_env(plan))
    dbt = str(Path(sys.executable).with_name("dbt"))
    started = time.perf_counter()
    completed = subprocess.run(
        [dbt, *dbt_build_args(plan), *(["--exclude", *exclude] if exclude else []), "--quiet"],
        cwd=REPO, env=env, check=False,
        capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"dbt build failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-2000:]}")
    record_watermark(home, plan)
    print(f"  slowest: {slowest_nodes()}")
    return seconds, len(plan.event_days)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--nightly-only", action="store_true",
        help="repeat only the nightly run, from the data home the last full build left",
    )  # fmt: skip
    parser.add_argument(
        "--marts-share", action="store_true",
        help="also time a full rebuild without issue 4's marts",
    )  # fmt: skip
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    source = dumps(args.events, args.days + 1, args.seed)
    nights = sorted(p for p in source.iterdir() if p.is_dir())
    home = DataHome(OUT / "dbt-home")
    kept = OUT / "dbt-home-full"
    shutil.rmtree(home.root, ignore_errors=True)
    if args.nightly_only:
        shutil.copytree(kept, home.root, symlinks=True)
        recorded = json.loads((kept / "bench.json").read_text())
        first_kept, ingest_seconds = recorded["kept"], recorded["ingest_seconds"]
        full_seconds, full_days = recorded["full_seconds"], recorded["full_days"]
    else:
        home.landing.mkdir(parents=True)
        for night in nights[: args.days]:
            os.symlink(night, home.landing / night.name)
        started = time.perf_counter()
        first_kept = ingest(home).kept
        ingest_seconds = time.perf_counter() - started
        full_seconds, full_days = dbt_build(home)
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(home.root, kept, symlinks=True)
        recorded = {"kept": first_kept, "ingest_seconds": ingest_seconds}
        recorded |= {"full_seconds": full_seconds, "full_days": full_days}
        (kept / "bench.json").write_text(json.dumps(recorded))
    for night in nights[args.days :]:
        os.symlink(night, home.landing / night.name)
    started = time.perf_counter()
    second = ingest(home)
    nightly_ingest = time.perf_counter() - started
    incremental_seconds, incremental_days = dbt_build(home)
    size = home.warehouse.stat().st_size
    if args.marts_share:
        without_seconds, _ = dbt_build(home, full_refresh=True, exclude=ISSUE_4_MARTS)
        with_seconds, _ = dbt_build(home, full_refresh=True)
    lines = [
        f"events generated: {args.events} over {args.days + 1} days, seed {args.seed}",
        f"ingest of {args.days} days: {first_kept} records kept in {ingest_seconds:.1f}s",
        f"full dbt build ({full_days} event days): {full_seconds:.1f}s"
        + (" (recorded)" if args.nightly_only else ""),
        f"nightly ingest: {second.kept} records in {nightly_ingest:.1f}s",
        f"nightly dbt build (new events of {incremental_days} event days): "
        f"{incremental_seconds:.1f}s = {incremental_seconds / full_seconds:.1%} of the full build",
        f"warehouse.duckdb: {size / 1e9:.2f} GB",
    ]
    if args.marts_share:
        lines += [
            f"full rebuild without issue 4's marts: {without_seconds:.1f}s; with them: "
            f"{with_seconds:.1f}s; the marts add {with_seconds / without_seconds - 1:.1%}",
        ]
    text = "\n".join(lines)
    print(text)
    (OUT / f"dbt-{time.strftime('%Y%m%dT%H%M%S')}.md").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
