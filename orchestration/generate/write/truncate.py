"""The gzip file cut short, as by a crashed consumer: what is left and what is still readable."""

from __future__ import annotations

import zlib

import numpy as np

from orchestration.generate.write.outfile import OutFile
from orchestration.generate.write.result import DayResult


def truncate_last(tracked: list[OutFile], rng: np.random.Generator, result: DayResult) -> None:
    """Cut the last of the tracked gzip files to 55-90 % of its size, if it holds at least 100
    records; its counts become those of the complete lines still readable."""
    if not tracked:
        return
    f = tracked[-1]
    if f.track is None or len(f.track) < 100 or f.z is None:
        return
    data = f.path.read_bytes()
    cut = int(len(data) * float(rng.uniform(0.55, 0.9)))
    data = data[:cut]
    f.path.write_bytes(data)
    recovered = len(zlib.decompressobj(31).decompress(data))
    kept: dict[int, int] = {}
    complete = 0
    for end, code in f.track:
        if end <= recovered:
            kept[code] = kept.get(code, 0) + 1
            complete += 1
    total = len(f.track)
    f.counts = kept
    f.valid = 0
    result.malformed["truncated_gzip"] = result.malformed.get("truncated_gzip", 0) + 1
    result.truncated[f.rel] = {"records_written": total, "records_readable": complete}
