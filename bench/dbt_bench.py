"""dbt benchmark: a full build from bronze, then a nightly incremental run that adds one day.

Both go through `hookhouse run`'s own path (the Dagster job in-process: ingest, then the
dbt steps), timed per step from the run's event log; "dbt" is the sum of the dbt steps.

    .venv/bin/python bench/dbt_bench.py [--events 10000000] [--days 30] [--seed 5] [--nightly-only]

Generates `--events` events over `--days` + 1 days (cached under bench/out/), ingests the
first `--days` days, and times `dbt build` (models and tests) as `hookhouse run` invokes it;
then lands the last day's dump and times the incremental build, `--nightly-runs` times (3),
each from the full build's data home, and reports the median. The ratio incremental / full
says whether a nightly run costs in proportion to new data.

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

from orchestration.bronze_layout import MANIFEST, bronze_table  # noqa: E402
from orchestration.paths import DataHome  # noqa: E402
from orchestration.warehouse.build_plan import (  # noqa: E402
    dbt_build_args,
    event_days_env,
    plan_build,
    record_watermark,
)


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


def job_run(home: DataHome) -> tuple[float, float, int]:
    """One `hookhouse run` in-process; (ingest seconds, dbt seconds, records kept)."""
    import dagster as dg

    from orchestration.defs.definitions import execute_run

    os.environ["HOOKHOUSE_HOME"] = str(home.root)
    started_at = time.time()
    with dg.DagsterInstance.ephemeral() as instance:
        quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
        result = execute_run(instance, quiet, raise_on_error=False)
        if not result.success:
            sys.exit(f"hookhouse run failed: {result.run_id}")
        starts: dict[str, float] = {}
        seconds: dict[str, float] = {}
        for entry in instance.all_logs(result.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type_value == "STEP_START":
                starts[event.step_key] = entry.timestamp
            elif event.event_type_value == "STEP_SUCCESS":
                seconds[event.step_key] = entry.timestamp - starts[event.step_key]
    kept = ingest_report_kept(home, started_at)
    dbt_seconds = sum(value for key, value in seconds.items() if key.startswith("dbt_"))
    steps = ", ".join(f"{key} {value:.1f}s" for key, value in seconds.items())
    print(f"  steps: {steps}")
    print(f"  slowest: {slowest_nodes_since(started_at)}")
    return seconds.get("ingest_landing", 0.0), dbt_seconds, kept


def ingest_report_kept(home: DataHome, since: float) -> int:
    """Records the ingest of this run kept (the bronze batches written since `since`)."""
    import duckdb

    files = bronze_table(MANIFEST).glob(home.bronze)
    with duckdb.connect() as connection:
        return connection.execute(
            f"select coalesce(sum(kept), 0) from '{files}' where epoch(ingested_at) >= ?",
            [since - 1],
        ).fetchall()[0][0]


def slowest_nodes_since(since: float, count: int = 8) -> str:
    """The slowest nodes of the dbt invocations since `since` (dagster-dbt gives each its own
    target folder)."""
    results: dict[str, dict] = {}
    for path in REPO.glob("target/**/run_results.json"):
        if path.stat().st_mtime >= since:
            for result in json.loads(path.read_text())["results"]:
                results[result["unique_id"]] = result
    timed = sorted(results.values(), key=lambda result: result["execution_time"], reverse=True)
    return ", ".join(
        f"{result['unique_id'].split('.')[-1]} {result['execution_time']:.1f}s"
        for result in timed[:count]
    )


def restore(kept: Path, home: DataHome) -> None:
    """Make `home` a copy of the data home the full build left."""
    shutil.rmtree(home.root, ignore_errors=True)
    shutil.copytree(kept, home.root, symlinks=True)
    os.sync()  # the copy's writeback would otherwise slow the run it precedes


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
        "--nightly-runs", type=int, default=3,
        help="nightly runs, each from the full build's data home; the median is reported",
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
        restore(kept, home)
        recorded = json.loads((kept / "bench.json").read_text())
        first_kept, ingest_seconds = recorded["kept"], recorded["ingest_seconds"]
        full_seconds, full_days = recorded["full_seconds"], recorded["full_days"]
    else:
        home.landing.mkdir(parents=True)
        for night in nights[: args.days]:
            os.symlink(night, home.landing / night.name)
        ingest_seconds, full_seconds, first_kept = job_run(home)
        full_days = args.days
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(home.root, kept, symlinks=True)
        recorded = {"kept": first_kept, "ingest_seconds": ingest_seconds}
        recorded |= {"full_seconds": full_seconds, "full_days": full_days}
        (kept / "bench.json").write_text(json.dumps(recorded))
    nightly: list[tuple[float, float, int]] = []
    for repeat in range(max(1, args.nightly_runs)):
        if repeat:  # the same night again, from the full build's data home
            restore(kept, home)
        for night in nights[args.days :]:
            os.symlink(night, home.landing / night.name)
        nightly.append(job_run(home))
    nightly_ingest, incremental_seconds, second_kept = sorted(nightly, key=lambda r: r[1])[
        len(nightly) // 2
    ]
    every_night = ", ".join(f"{seconds:.1f}" for _, seconds, _ in nightly)
    size = home.warehouse.stat().st_size
    if args.marts_share:
        without_seconds, _ = dbt_build(home, full_refresh=True, exclude=ISSUE_4_MARTS)
        with_seconds, _ = dbt_build(home, full_refresh=True)
    lines = [
        f"events generated: {args.events} over {args.days + 1} days, seed {args.seed}",
        f"ingest of {args.days} days: {first_kept} records kept in {ingest_seconds:.1f}s",
        f"full dbt steps ({full_days} event days): {full_seconds:.1f}s"
        + (" (recorded)" if args.nightly_only else ""),
        f"nightly ingest: {second_kept} records in {nightly_ingest:.1f}s",
        f"nightly dbt steps (median of {len(nightly)}): {incremental_seconds:.1f}s = "
        f"{incremental_seconds / full_seconds:.1%} of the full build (every run: {every_night})",
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
