"""The targets of `make bench` (issue 17), each said met or not from what was measured."""

from __future__ import annotations

import re
from statistics import median

from bench_report import Table

GIB = 1024


def targets_table(metrics: dict, sizes: list[int]) -> Table:
    table = Table("Targets", ["target", "measured", "met"])
    largest = max(sizes)

    def add(target: str, measured: str, met: bool | None) -> None:
        table.add([target, measured, "not measured" if met is None else ("yes" if met else "no")])

    for layout in ("ndjson", "mixed"):
        ratios = []
        for engines in metrics.get(f"ingest-{layout}", {}).values():
            hook, duck = engines.get("hookhouse", {}), engines.get("duckdb_full", {})
            rounds = [
                a / b for a, b in zip(duck.get("every", []), hook.get("every", []), strict=False)
            ]
            if rounds:
                ratios.append(median(rounds))
        add(
            f"ingest ≥ 1.0x DuckDB (`sample_size=-1`), {layout}",
            ", ".join(f"{r:.2f}x" for r in ratios),
            min(ratios) >= 1.0 if ratios else None,
        )
    formats = [r for r in metrics.get("format-ratios", []) if r is not None]
    add(
        "every landing format ≥ 0.8x plain NDJSON's records/s",
        ", ".join(f"{r:.2f}" for r in formats),
        min(formats) >= 0.8 if formats else None,
    )
    dlt = []
    for layout in ("ndjson", "mixed"):
        for engines in metrics.get(f"ingest-{layout}", {}).values():
            if "seconds" in engines.get("dlt", {}) and "seconds" in engines.get("hookhouse", {}):
                dlt.append(engines["dlt"]["seconds"] / engines["hookhouse"]["seconds"])
    add("ingest ≥ 50x dlt", ", ".join(f"{r:.0f}x" for r in dlt), min(dlt) >= 50 if dlt else None)
    peaks = [
        engines["hookhouse"]["peak_mib"]
        for layout in ("ndjson", "mixed")
        for engines in metrics.get(f"ingest-{layout}", {}).values()
        if "peak_mib" in engines.get("hookhouse", {})
    ]
    add(
        "ingest peak RSS < 2 GiB",
        ", ".join(f"{p:.0f} MiB" for p in peaks),
        max(peaks) < 2 * GIB if peaks else None,
    )
    marts = metrics.get("marts", {}).get(largest)
    add(
        f"landing → marts, {largest:,} events, < 4 min",
        f"{marts['seconds']:.0f} s" if marts else "",
        marts["seconds"] < 240 if marts else None,
    )
    nightly = {}
    for events, text in metrics.get("dbt", {}).items():
        found = re.search(r"nightly dbt steps \(median of \d+\): ([\d.]+)s = ([\d.]+)%", text)
        if found:
            nightly[events] = (float(found.group(1)), float(found.group(2)))
    shares = [share for _, share in nightly.values()]
    add(
        "nightly ≤ 15% of the full build (DuckDB)",
        ", ".join(f"{e:,}: {s:.1f}%" for e, (_, s) in nightly.items()),
        max(shares) <= 15 if shares else None,
    )
    if len(nightly) >= 2:
        small, large = min(nightly), max(nightly)
        ratio = nightly[large][0] / nightly[small][0]
        add(
            f"nightly on {large:,}-event history <= 1.3x on {small:,} (the new day grows too)",
            f"{ratio:.2f}x",
            ratio <= 1.3,
        )
    else:
        add("nightly on 10x the history <= 1.3x the nightly on 1x", "one size only", None)
    spark = re.findall(
        r"\| ([\d,]+) \| spark \| [\d.]+ \| [\d.]+ \| ([\d.]+)% \|", metrics.get("spark", "")
    )
    add(
        "Spark nightly ≤ 15% of its full build",
        ", ".join(f"{e}: {s}%" for e, s in spark),
        max(float(s) for _, s in spark) <= 15 if spark else None,
    )
    slow = []
    for events, text in metrics.get("guide", {}).items():
        found = re.search(r"(\d+) of (\d+) queries at or over", text)
        if found:
            slow.append((events, int(found.group(1)), int(found.group(2))))
    add(
        "every analyst query < 1 s",
        ", ".join(f"{e:,}: {n} of {t} over" for e, n, t in slow),
        all(n == 0 for _, n, _ in slow) if slow else None,
    )
    return table
