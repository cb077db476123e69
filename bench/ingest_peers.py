"""The ingest and what a user would pick instead, each run in a fresh process on one landing folder.

    .venv/bin/python bench/ingest_peers.py --engine NAME --landing DIR --work DIR

prints one JSON line: seconds (engine imports included: a user pays them), rows loaded, and
what the engine did. `run_bench.py` starts it once per engine and round, and measures the
peak resident memory of its whole process tree from outside. The engines:

- `hookhouse`: `orchestration.ingest.ingest`, every contract rule (validation, rejects with
  reasons, event keys, UTC day partitions, manifest, atomic commit);
- `duckdb`: `read_json` of every landing file (`format='auto'`: NDJSON or JSON arrays,
  gzip by extension, `union_by_name`) → Parquet, DuckDB's defaults (a schema sampled from
  the first 20,480 records of each file);
- `duckdb_full`: the same with `sample_size=-1` (every record read for the schema), what a
  user sets once the defaults miss keys that only later records carry;
- `dlt`: `dlt.sources.filesystem` + `read_jsonl` into its DuckDB destination, what a Python
  data engineer picks to "load these JSON files" (JSON batch files are not JSON lines: they
  go through dlt's own `read_json`-less path, so they are read as one record each, if at all);
- `pandas`: `read_json` per file (`lines=True` for NDJSON), concatenated: the naive baseline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ENGINES = ("hookhouse", "duckdb", "duckdb_full", "dlt", "pandas")
JSON_LINES = (".ndjson", ".jsonl", ".ndjson.gz", ".jsonl.gz")


def landing_files(landing: Path) -> list[Path]:
    """Every landing file the ingest would read, in name order."""
    return sorted(p for p in landing.rglob("*") if p.is_file() and not p.name.startswith("."))


def run_hookhouse(landing: Path, work: Path) -> dict:
    from orchestration.ingest import ingest
    from orchestration.paths import DataHome

    home = DataHome(work / "home")
    home.root.mkdir(parents=True)
    home.landing.symlink_to(landing.resolve(), target_is_directory=True)
    report = ingest(home)
    return {"rows": report.kept + report.rejected, "detail": f"{report.kept} kept, "
            f"{report.rejected} rejected, {len(report.files)} files"}  # fmt: skip


def run_duckdb(landing: Path, work: Path, *, full: bool) -> dict:
    import duckdb

    files = [str(p) for p in landing_files(landing)]
    sample = ", sample_size=-1" if full else ""
    out = work / "events.parquet"
    connection = duckdb.connect()
    connection.execute(
        f"COPY (SELECT * FROM read_json($files, format='auto', union_by_name=true{sample})) "
        f"TO '{out}' (FORMAT parquet)",
        {"files": files},
    )
    rows = connection.execute(f"SELECT count(*) FROM '{out}'").fetchone()
    columns = connection.execute(f"DESCRIBE SELECT * FROM '{out}'").fetchall()
    return {"rows": rows[0] if rows else 0, "detail": f"{len(columns)} columns"}


def run_dlt(landing: Path, work: Path) -> dict:
    import dlt
    from dlt.sources.filesystem import filesystem, read_jsonl

    lines = filesystem(bucket_url=landing.resolve().as_uri(), file_glob="**/*")
    pipeline = dlt.pipeline(
        pipeline_name="bench", destination=dlt.destinations.duckdb(str(work / "dlt.duckdb")),
        dataset_name="bronze", pipelines_dir=str(work / "pipelines"),
    )  # fmt: skip
    pipeline.run((lines | read_jsonl()).with_name("hook_events"))
    with pipeline.sql_client() as client:
        counted = client.execute_sql("SELECT count(*) FROM hook_events")
        listed = client.execute_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'bronze'"
        )
    assert counted and listed
    rows, tables = counted[0][0], listed[0][0]
    return {"rows": rows, "detail": f"{tables} tables (nested fields normalised into child tables)"}


def run_pandas(landing: Path, work: Path) -> dict:
    import pandas as pd

    frames = [pd.read_json(p, lines=p.name.endswith(JSON_LINES)) for p in landing_files(landing)]
    frame = pd.concat(frames, ignore_index=True)
    return {"rows": len(frame), "detail": f"{len(frame.columns)} columns, no Parquet written"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=ENGINES, required=True)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    try:
        if args.engine == "hookhouse":
            result = run_hookhouse(args.landing, args.work)
        elif args.engine in ("duckdb", "duckdb_full"):
            result = run_duckdb(args.landing, args.work, full=args.engine == "duckdb_full")
        elif args.engine == "dlt":
            result = run_dlt(args.landing, args.work)
        else:
            result = run_pandas(args.landing, args.work)
    except Exception as error:  # an engine that fails on the dump is a result, said as such
        message = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
        print(json.dumps({"error": f"{type(error).__name__}: {message}"}))
        return 1
    result["seconds"] = time.perf_counter() - started
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
