"""`event_date` strings: RFC 3339 in Go's style, with a local offset for some rmq records.

Pop-up and pixel events have millisecond instants (browser clocks), imports whole seconds, so
fraction lengths of 0 to 9 digits all occur. Every string denotes the event's exact instant.
"""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import SEC


def go_rfc3339(base: str, suffix: str) -> str:
    """Go's RFC3339Nano: the fraction loses trailing zeros (and the dot when it is all zero)."""
    if "." in base:
        base = base.rstrip("0").rstrip(".")
    return base + suffix


def format_times(t: np.ndarray, producer: str, rng: np.random.Generator) -> list[str]:
    """RFC 3339 strings for one producer's events (t already at the producer's precision)."""
    utc = np.datetime_as_string(t.astype("datetime64[ns]"), unit="ns").tolist()
    if producer != "rmq":
        return [go_rfc3339(s, "Z") for s in utc]
    out = [go_rfc3339(s, "Z") for s in utc]
    offset = rng.random(t.size)
    for hours, lo, hi in ((3, 0.0, 0.25), (5, 0.25, 0.30)):
        sel = np.flatnonzero((offset >= lo) & (offset < hi))
        if sel.size:
            local = np.datetime_as_string(
                (t[sel] + hours * 3600 * SEC).astype("datetime64[ns]"), unit="ns"
            ).tolist()
            for k, s in zip(sel.tolist(), local, strict=True):
                out[k] = go_rfc3339(s, f"+{hours:02d}:00")
    return out
