"""Files besides a stream's own: same-day re-delivery files, lag/retry files of a later dump
day, and (ndjson layout) spill files appended to a later day's file when the run ends."""

from __future__ import annotations

from orchestration.generate.write.layout import SPILL_DIR, StreamSpec, WriterConfig, day_folder
from orchestration.generate.write.outfile import OutFile

RETRY_BATCH = 500
"""Records per HTTP retry body."""

Held = tuple[int, bytes, int]
"""A record held back for a side file: (event instant, record, code)."""


def side_files(
    cfg: WriterConfig,
    source_day: int,
    source_stamp: str,
    spec: StreamSpec,
    target: int,
    items: list[Held],
    kind: str,
) -> list[OutFile]:
    """Write `items` of stream `spec` from `source_day` into dump day `target`'s folder;
    `kind` is "redelivered" (same day; mixed layout only) or "late"."""
    folder, iso, _ = day_folder(cfg, target)
    src = source_stamp
    if cfg.layout != "mixed":
        rel = f"{SPILL_DIR}/{target:05d}/{source_day:05d}.ndjson"
        f = OutFile(cfg.out_dir / rel, rel, False, 0)
        for _t, rec, code in items:
            f.add(rec, b"\n", code)
        f.close()
        f.rel = ""  # merged into the target day's file at the end of the run
        return [f]
    if spec.kind == "batch":
        out = []
        prefix = "http-retry" if kind == "redelivered" else f"http-retry-from-{src}"
        for k in range(0, len(items), RETRY_BATCH):
            chunk = items[k : k + RETRY_BATCH]
            name = (
                f"{prefix}-{k // RETRY_BATCH:04d}.json"
                if kind != "redelivered"
                else f"{prefix}-{src}-{k // RETRY_BATCH:04d}.json"
            )
            f = OutFile(folder / name, f"{iso}/{name}", False, 0)
            f.raw_write(b"[")
            for j, (_t, rec, code) in enumerate(chunk):
                f.add(rec, b"," if j < len(chunk) - 1 else b"", code)
            f.raw_write(b"]")
            f.close()
            out.append(f)
        return out
    if spec.producer == "kafka":
        base = f"kafka-altcraft-hooks-p{spec.partition}"
        name = (
            f"{base}-{src}-redelivered.ndjson"
            if kind == "redelivered"
            else f"{base}-lag-from-{src}.ndjson"
        )
    elif spec.producer == "rmq":
        name = (
            f"rmq-hookhouse-{src}-redelivered.jsonl"
            if kind == "redelivered"
            else f"rmq-hookhouse-lag-from-{src}.jsonl"
        )
    else:
        name = (
            f"history-export-{src}-retry.ndjson"
            if kind == "redelivered"
            else f"history-export-lag-from-{src}.ndjson"
        )
    f = OutFile(folder / name, f"{iso}/{name}", False, 0)
    for _t, rec, code in items:
        f.add(rec, b"\n", code)
    f.close()
    return [f]
