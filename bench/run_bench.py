"""`make bench`: every measurement, side by side, into docs/benchmarks.md.

    .venv/bin/python bench/run_bench.py [--sizes 1000000 10000000] [--rounds 3] [--quick]
        [--skip spark,receiver,...] [--report docs/benchmarks.md]

What it measures, each at every size of `--sizes` (generated once by `hookhouse generate`
and cached under bench/out/data/), with the growth from one size to the next:

- `ingest`: hookhouse against DuckDB (defaults, and `sample_size=-1`), dlt and pandas
  (`ingest_peers.py`), each in a fresh process, rounds taken in turn, on plain NDJSON and on
  the generator's mixed layout (JSON batches, `.jsonl`, NDJSON, gzip); seconds, MB/s,
  events/s, peak resident memory of the process tree, and the ratio to DuckDB round by round;
- `marts`: landing → marts, `hookhouse run` on a fresh data home with the mixed layout;
- `guide`: every analyst-guide query on the warehouse that run built (`guide_bench.py`);
- `dbt`: the full dbt build and the nightly run adding one day (`dbt_bench.py`);
- `spark`: DuckDB beside Spark `local[2]`, full build and nightly (`engines_bench.py`);
- `receiver`: the HTTP receiver's throughput and latency (`receiver_bench.py`).

`--quick` (`make bench-quick`) is the same at small sizes, in a few minutes. Timings are
medians; every run is listed. Nothing here asserts a time: the report says which targets
were met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

from bench_report import Table, growth, machine_facts, write_report
from bench_targets import targets_table
from process_tree import measured

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
HOOKHOUSE = Path(sys.executable).with_name("hookhouse")
PEERS = ("hookhouse", "duckdb", "duckdb_full", "dlt", "pandas")
SECTIONS = ("ingest", "marts", "guide", "dbt", "spark", "receiver")
METRICS: dict = {}
"""What the sections measured, for the targets table."""


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def dataset(layout: str, events: int, days: int, malformed: float) -> Path:
    """A generated landing folder, made once and kept under bench/out/data/."""
    folder = OUT / "data" / f"{layout}-{events}-{days}d-m{malformed:g}"
    if not (folder / ".complete").exists():
        say(f"generating {events:,} events ({layout}) into {folder.relative_to(REPO)}")
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [
                str(HOOKHOUSE),
                "generate",
                "--out",
                str(folder),
                "--events",
                str(events),
                "--days",
                str(days),
                "--seed",
                "5",
                "--layout",
                layout,
                "--malformed-rate",
                str(malformed),
            ],
            check=True,
            capture_output=True,
        )
        (folder / ".complete").write_text("")
    return folder


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def ingest_section(sizes: list[int], rounds: int, dlt_rounds: int, peers: list[str]) -> list[Table]:
    tables: list[Table] = []
    for layout in ("ndjson", "mixed"):
        by_size: dict[int, dict[str, dict]] = {}
        for events in sizes:
            # No malformed records: DuckDB, dlt and pandas stop at the first one.
            landing = dataset(layout, events, 30, 0.0)
            size = folder_bytes(landing)
            runs: dict[str, list[dict]] = {peer: [] for peer in peers}
            for round_number in range(rounds):
                for peer in peers:
                    if peer == "dlt" and round_number >= dlt_rounds:
                        continue
                    say(f"ingest {layout} {events:,}: {peer}, round {round_number + 1}/{rounds}")
                    runs[peer].append(one_peer(peer, landing))
            by_size[events] = {peer: summarise(r, size) for peer, r in runs.items() if r}
        tables.append(ingest_table(layout, by_size))
        METRICS[f"ingest-{layout}"] = by_size
    tables.append(formats_table(sizes, rounds))
    return tables


FORMATS = {
    "JSON batches (.json)": ".json",
    "JSON lines (.jsonl)": ".jsonl",
    "NDJSON (.ndjson)": ".ndjson",
    "gzipped NDJSON (.ndjson.gz)": ".gz",
}


def format_subset(landing: Path, suffix: str) -> Path:
    """The files of one format of a mixed landing folder, linked into a folder of their own."""
    subset = landing.with_name(f"{landing.name}-only{suffix}")
    if not (subset / ".complete").exists():
        shutil.rmtree(subset, ignore_errors=True)
        for path in sorted(landing.rglob(f"*{suffix}")):
            link = subset / path.relative_to(landing)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)
        (subset / ".complete").write_text("")
    return subset


def formats_table(sizes: list[int], rounds: int) -> Table:
    """hookhouse alone on each format of the mixed layout, beside plain NDJSON."""
    table = Table(
        "Ingest by landing format (hookhouse)",
        [
            "events",
            "format",
            "files",
            "records",
            "median s",
            "every run s",
            "records/s",
            "vs plain NDJSON",
        ],
    )
    for events in sizes:
        plain = METRICS["ingest-ndjson"][events].get("hookhouse", {})
        landing = dataset("mixed", events, 30, 0.0)
        for name, suffix in FORMATS.items():
            subset = format_subset(landing, suffix)
            runs = []
            for round_number in range(rounds):
                say(f"ingest {events:,}, {name} alone: round {round_number + 1}/{rounds}")
                runs.append(one_peer("hookhouse", subset))
            r = summarise(runs, folder_bytes(subset))
            if "error" in r:
                table.add([f"{events:,}", name, "", "", "failed", r["error"], "", ""])
                continue
            ratio = r["events_s"] / plain["events_s"] if "events_s" in plain else None
            METRICS.setdefault("format-ratios", []).append(ratio)
            files = sum(1 for p in subset.rglob(f"*{suffix}"))
            table.add(
                [
                    f"{events:,}",
                    name,
                    f"{files:,}",
                    f"{r['rows']:,}",
                    f"{r['seconds']:.2f}",
                    ", ".join(f"{x:.2f}" for x in r["every"]),
                    f"{r['events_s']:,.0f}",
                    f"{ratio:.2f}" if ratio else "",
                ]
            )
    return table


def one_peer(peer: str, landing: Path) -> dict:
    work = OUT / "work" / peer
    shutil.rmtree(work, ignore_errors=True)
    command = [
        sys.executable,
        str(REPO / "bench" / "ingest_peers.py"),
        "--engine",
        peer,
        "--landing",
        str(landing),
        "--work",
        str(work),
    ]
    run = measured(command, cwd=REPO)
    shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1]) if lines else {"error": run.stderr.strip()[-300:]}
    result["peak_mib"] = run.peak_rss / 2**20
    return result


def summarise(runs: list[dict], size: int) -> dict:
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[0]["error"]}
    seconds = [r["seconds"] for r in good]
    middle = median(seconds)
    return {
        "seconds": middle,
        "every": seconds,
        "rows": good[0]["rows"],
        "mb_s": size / 1e6 / middle,
        "events_s": good[0]["rows"] / middle,
        "peak_mib": max(r["peak_mib"] for r in good),
        "detail": good[0].get("detail", ""),
        "failed": len(runs) - len(good),
    }


def ingest_table(layout: str, by_size: dict[int, dict[str, dict]]) -> Table:
    title = "Ingest, plain NDJSON" if layout == "ndjson" else "Ingest, the mixed layout"
    table = Table(
        title,
        [
            "events",
            "engine",
            "median s",
            "every run s",
            "MB/s",
            "events/s",
            "peak RSS MiB",
            "vs DuckDB",
            "rows",
            "growth",
        ],
    )
    previous: dict[str, float] = {}
    for events, engines in by_size.items():
        reference = engines.get("duckdb_full") or engines.get("duckdb") or {}
        for engine, r in engines.items():
            if "error" in r:
                table.add([f"{events:,}", engine, "failed", r["error"], "", "", "", "", "", ""])
                continue
            rounds = [a / b for a, b in zip(reference.get("every", []), r["every"], strict=False)]
            ratio = median(rounds) if rounds else None
            table.add(
                [
                    f"{events:,}",
                    engine,
                    f"{r['seconds']:.2f}",
                    ", ".join(f"{s:.2f}" for s in r["every"]),
                    f"{r['mb_s']:.1f}",
                    f"{r['events_s']:,.0f}",
                    f"{r['peak_mib']:.0f}",
                    f"{ratio:.2f} ({', '.join(f'{x:.2f}' for x in rounds)})" if ratio else "",
                    f"{r['rows']:,}",
                    growth(previous.get(engine), r["seconds"]),
                ]
            )
            previous[engine] = r["seconds"]
    return table


def marts_section(sizes: list[int], rounds: int, guide: bool) -> tuple[list[Table], list[str]]:
    """`hookhouse run` from landing to marts on a fresh data home, with the default defects."""
    table = Table(
        "Landing to marts (`hookhouse run`, mixed layout, fresh data home)",
        ["events", "median s", "every run s", "peak RSS MiB", "growth"],
    )
    texts: list[str] = []
    previous = None
    for events in sizes:
        landing = dataset("mixed", events, 30, 0.001)
        seconds: list[float] = []
        peak = 0.0
        for round_number in range(rounds):
            say(f"landing to marts, {events:,} events: round {round_number + 1}/{rounds}")
            home = OUT / "work" / "marts-home"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            (home / "landing").symlink_to(landing, target_is_directory=True)
            env = {**os.environ, "HOOKHOUSE_HOME": str(home)}
            env.pop("DAGSTER_HOME", None)
            run = measured([str(HOOKHOUSE), "run"], cwd=REPO, env=env)
            if run.returncode != 0:
                raise SystemExit(f"hookhouse run failed:\n{run.stderr[-2000:]}")
            seconds.append(run.seconds)
            peak = max(peak, run.peak_rss / 2**20)
        middle = median(seconds)
        METRICS.setdefault("marts", {})[events] = {"seconds": middle, "peak_mib": peak}
        table.add(
            [
                f"{events:,}",
                f"{middle:.1f}",
                ", ".join(f"{s:.1f}" for s in seconds),
                f"{peak:.0f}",
                growth(previous, middle),
            ]
        )
        previous = middle
        if guide:
            say(f"analyst-guide queries on the {events:,}-event warehouse")
            printed = script("guide_bench.py", "--warehouse", str(home / "warehouse.duckdb"))
            guide_text = "#" + printed[printed.rfind("# Analyst-guide") :]
            METRICS.setdefault("guide", {})[events] = guide_text
            texts.append(guide_text)
    return [table], texts


def script(name: str, *arguments: str) -> str:
    """Run another benchmark script; its printed report."""
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / name), *arguments],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        return f"(failed, exit {completed.returncode}: {completed.stderr.strip()[-500:]})"
    return completed.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dlt-rounds", type=int, default=1, help="dlt is slow: rounds of it")
    parser.add_argument("--quick", action="store_true", help="small sizes, in a few minutes")
    parser.add_argument("--skip", default="", help=f"comma-separated, of {', '.join(SECTIONS)}")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--nightly-runs", default="3", help="of dbt_bench.py, per size")
    parser.add_argument("--receiver-seconds", default=None, help="of each receiver phase")
    parser.add_argument("--report", type=Path, default=REPO / "docs" / "benchmarks.md")
    args = parser.parse_args()
    sizes = args.sizes or ([20_000, 200_000] if args.quick else [1_000_000, 10_000_000])
    skip = {s for s in args.skip.split(",") if s}
    started = time.perf_counter()
    tables: list[Table] = []
    texts: list[str] = []
    if "ingest" not in skip:
        tables += ingest_section(sizes, args.rounds, args.dlt_rounds, args.peers.split(","))
    if "marts" not in skip:
        more, guide = marts_section(sizes, args.rounds, "guide" not in skip)
        tables += more
        texts += guide
    if "dbt" not in skip:
        for events in sizes:
            say(f"dbt full build and nightly runs, {events:,} events")
            dbt_text = script(
                "dbt_bench.py", "--events", str(events), "--nightly-runs", args.nightly_runs
            )
            dbt_text = dbt_text[dbt_text.rfind("events generated:") :]  # not dbt's own log
            METRICS.setdefault("dbt", {})[events] = dbt_text
            texts.append(f"## dbt, {events:,} events (`dbt_bench.py`)\n\n```\n{dbt_text}\n```")
    if "spark" not in skip:
        say("DuckDB beside Spark")
        METRICS["spark"] = script("engines_bench.py", "--events", *map(str, sizes))
        texts.append(METRICS["spark"])
    if "receiver" not in skip:
        say("the receiver")
        seconds = args.receiver_seconds or ("5" if args.quick else "20")
        texts.append(
            "Receiver (`receiver_bench.py`):\n\n```json\n"
            + script("receiver_bench.py", "--seconds", seconds)
            + "\n```"
        )
    tables.append(targets_table(METRICS, sizes))
    facts = machine_facts() | {
        "command": " ".join(sys.argv[1:]) or "(defaults)",
        "python": platform.python_version(),
        "minutes": f"{(time.perf_counter() - started) / 60:.1f}",
    }
    text = write_report(args.report, facts, tables, texts)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
