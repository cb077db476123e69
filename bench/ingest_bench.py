"""Ingest benchmark: hookhouse's bronze ingest against DuckDB and pandas, on the same dump.

    .venv/bin/python bench/ingest_bench.py [--size-gb 1] [--memory-gb 5] [--skip-pandas]

Builds (once, under bench/out/) an NDJSON dump of about --size-gb from `hookhouse generate
--layout ndjson`, warms the page cache, then runs each engine in a fresh process on that
file and reports wall time, throughput, and peak RSS (the process, and the largest worker
process it started). The engines:

- hookhouse: `orchestration.ingest.ingest`, every contract rule applied (validation,
  rejects, event keys, UTC day partitions, manifest, atomic commit).
- duckdb: `COPY (SELECT * FROM read_ndjson(...)) TO ... (FORMAT parquet)`, the reference.
- pandas: `pandas.read_json(..., lines=True)`, the naive baseline (no Parquet writing).

The dump has duplicates and late events but, by default, no malformed record: DuckDB's
reader and pandas stop at the first one (hookhouse rejects it and goes on), so a dirty
dump (--malformed-rate 0.001) compares nothing.

With --memory-gb N, it also ingests a dump of about N GB (the first dump repeated) to
show that memory stays bounded whatever the file size.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"

ENGINES = {
    "hookhouse": """
        from pathlib import Path
        from orchestration.ingest import ingest
        from orchestration.paths import DataHome
        report = ingest(DataHome(Path(WORK)))
        assert report.kept + report.rejected == report.records
        DETAIL = f"{report.records} records, {report.kept} kept, {report.rejected} rejected"
    """,
    "duckdb": """
        import duckdb
        duckdb.sql(f"COPY (SELECT * FROM read_ndjson('{DUMP}')) TO '{WORK}/out.parquet' "
                   "(FORMAT parquet)")
        rows = duckdb.sql(f"SELECT count(*) FROM '{WORK}/out.parquet'").fetchall()[0][0]
        DETAIL = f"{rows} rows"
    """,
    "pandas": """
        import pandas as pd
        frame = pd.read_json(DUMP, lines=True)
        DETAIL = f"{len(frame)} rows"
    """,
}

RUNNER = """
import resource, sys, time
DUMP, WORK = sys.argv[1], sys.argv[2]
started = time.perf_counter()
{body}
seconds = time.perf_counter() - started
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(RESULT_MARK, seconds, own, workers, DETAIL, sep="\\t")
"""


def build_dump(size_bytes: int, seed: int, malformed_rate: float) -> Path:
    """An NDJSON dump of about size_bytes from the generator (made once, then reused)."""
    dump = OUT / f"dump-{size_bytes // 10**6}MB-seed{seed}-malformed{malformed_rate}.ndjson"
    if dump.exists():
        return dump
    from orchestration.generate import generate_dumps

    generated = OUT / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    events = max(10_000, size_bytes // 708)  # ~708 bytes per generated NDJSON event
    started = time.perf_counter()
    report = generate_dumps(generated, events, seed, layout="ndjson", malformed_rate=malformed_rate)
    print(f"generated {report.events} events in {time.perf_counter() - started:.1f}s")
    partial = dump.with_suffix(".partial")
    with partial.open("wb") as out:
        for name in sorted(report.files):
            with (generated / name).open("rb") as part:
                shutil.copyfileobj(part, out, 16 << 20)
    shutil.rmtree(generated)
    partial.rename(dump)
    return dump


def repeat_dump(dump: Path, size_bytes: int) -> Path:
    """The dump concatenated with itself until about size_bytes."""
    big = OUT / f"{dump.stem}-x{max(1, round(size_bytes / dump.stat().st_size))}.ndjson"
    if not big.exists():
        partial = big.with_suffix(".partial")
        with partial.open("wb") as out:
            for _ in range(max(1, round(size_bytes / dump.stat().st_size))):
                with dump.open("rb") as part:
                    shutil.copyfileobj(part, out, 16 << 20)
        partial.rename(big)
    return big


def warm(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(64 << 20):
            pass


def run_engine(name: str, dump: Path) -> dict:
    work = OUT / f"work-{name}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "landing").mkdir(parents=True)
    os.link(dump, work / "landing" / dump.name)
    warm(dump)
    code = "RESULT_MARK = '@@result'\n" + RUNNER.format(body=textwrap.dedent(ENGINES[name]))
    completed = subprocess.run(
        [sys.executable, "-c", code, str(dump), str(work)],
        capture_output=True, text=True, cwd=REPO, check=False,
    )  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in completed.stdout.splitlines() if line.startswith("@@result")]
    if completed.returncode != 0 or not lines:
        return {"engine": name, "error": completed.stderr.strip().splitlines()[-3:]}
    _, seconds, own, workers, detail = lines[-1].split("\t")
    size = dump.stat().st_size
    return {
        "engine": name,
        "seconds": round(float(seconds), 2),
        "mb_per_s": round(size / 1e6 / float(seconds), 1),
        "peak_rss_mib": round(int(own) / 1024),
        "peak_worker_rss_mib": round(int(workers) / 1024),
        "detail": detail,
    }


def median_run(runs: list[dict]) -> dict:
    """One engine's runs as one result: the median time, the highest peak memory."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda r: r["seconds"])
    result = dict(ordered[len(ordered) // 2])
    result["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    result["peak_worker_rss_mib"] = max(r["peak_worker_rss_mib"] for r in runs)
    result["all_seconds"] = [r["seconds"] for r in runs]
    return result


def report(results: list[dict], dump: Path, runs: int) -> str:
    reference = next((r for r in results if r["engine"] == "duckdb" and "seconds" in r), None)
    lines = [
        f"dump: {dump.name}, {dump.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} cores, "
        f"median of {runs} run(s) per engine, engines taking turns",
        "| engine | seconds | MB/s | rate vs duckdb | peak RSS MiB (process) "
        "| peak RSS MiB (largest worker) | every run's seconds | what it did |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['engine']} | failed: {' '.join(r['error'])} | | | | | | |")
            continue
        ratio = f"{reference['seconds'] / r['seconds']:.2f}" if reference else "n/a"
        lines.append(
            f"| {r['engine']} | {r['seconds']} | {r['mb_per_s']} | {ratio} | "
            f"{r['peak_rss_mib']} | {r['peak_worker_rss_mib']} | "
            f"{', '.join(map(str, r.get('all_seconds', [r['seconds']])))} | {r['detail']} |"
        )
    lines += round_ratios(results, reference)
    return "\n".join(lines)


def round_ratios(results: list[dict], reference: dict | None) -> list[str]:
    """Each engine's rate against DuckDB's in the same round: the engines take turns, so a
    machine that speeds up or slows down over the rounds moves both sides of a ratio."""
    if reference is None or len(reference.get("all_seconds", [])) < 2:
        return []
    lines = []
    for r in results:
        if r is reference or "error" in r:
            continue
        pairs = zip(reference["all_seconds"], r["all_seconds"], strict=True)
        ratios = [duckdb / seconds for duckdb, seconds in pairs]
        middle = sorted(ratios)[len(ratios) // 2]
        listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        lines.append(
            f"\n{r['engine']}: rate vs duckdb round by round {listed} (median {middle:.2f})"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--memory-gb", type=float, default=0.0, help="also ingest an N GB dump")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--malformed-rate",
        type=float,
        default=0.0,
        help="malformed records in the dump (default 0: pandas and DuckDB stop at the first)",
    )
    parser.add_argument("--engines", default="", help="comma-separated subset to run")
    parser.add_argument(
        "--runs", type=int, default=3, help="rounds of every engine, in turn; medians reported"
    )
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    dump = build_dump(int(args.size_gb * 1e9), args.seed, args.malformed_rate)
    names = [n for n in (args.engines.split(",") if args.engines else ENGINES) if n]
    if args.skip_pandas:
        names = [n for n in names if n != "pandas"]
    rounds = [[run_engine(name, dump) for name in names] for _ in range(args.runs)]
    results = [median_run([runs[i] for runs in rounds]) for i in range(len(names))]
    text = report(results, dump, args.runs)
    if args.memory_gb:
        big = repeat_dump(dump, int(args.memory_gb * 1e9))
        text += "\n\nbounded memory:\n" + report([run_engine("hookhouse", big)], big, 1)
    print(text)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (OUT / f"ingest-{stamp}.md").write_text(text + "\n")
    (OUT / f"ingest-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
