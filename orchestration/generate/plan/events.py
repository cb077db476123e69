"""The planner's output: columnar event buffers (one table per UTC event day) and launches.

An event is a row of small integers; the serializer turns rows into JSON later. Columns:

| column | meaning |
|---|---|
| `t` | event instant, ns since the Unix epoch, UTC |
| `et` | event type code (index in the catalog) |
| `prof` | profile number, -1 for none (campaign_launch, launch-level camp_error) |
| `chan` | channel of the subscription the event is about, -1 for none |
| `launch` | launch number (campaign run, index into the run's `Launch`es), -1 for none |
| `camp` | campaign number, -1 for none |
| `aux`, `aux2` | family-specific integers (link, points, pop-up, import job, ...) |
| `tries` | send attempt (`sends_trying_num`), 0 = first attempt |
| `flags` | bit set, see the FLAG_* constants |
| `status` | subscription status at the event's time (added when the day is closed) |
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.generate.constants import DAY

FLAG_TEST = 1
"""The event comes from a test send (is_test = true)."""
FLAG_PROXY = 2
"""An email open fetched through an image proxy: proxy IP and agent, no geo."""
FLAG_APP = 16
"""The event comes from the mobile app (push opens and clicks)."""

COLUMNS: tuple[tuple[str, type], ...] = (
    ("t", np.int64),
    ("et", np.int16),
    ("prof", np.int32),
    ("chan", np.int8),
    ("launch", np.int32),
    ("camp", np.int32),
    ("aux", np.int64),
    ("aux2", np.int64),
    ("tries", np.int8),
    ("flags", np.int16),
)

Values = np.ndarray | int | np.integer
"""A column's values for the rows being added: an array, or one value for all of them."""


@dataclass(frozen=True)
class Launch:
    """One run of a campaign. `launch_id` follows hook-message-format section 1.2."""

    index: int
    ts: int
    launch_id: str
    kind: str


def make_launch_id(account_id: int, campaign_id: int, ts: int) -> str:
    return f"{account_id:08x}{campaign_id:08x}{ts & 0xFFFFFFFF:08x}"


@dataclass
class DayTable:
    """The events of one UTC day, unsorted, as columns of equal length."""

    day: int
    cols: dict[str, np.ndarray]

    def __len__(self) -> int:
        return int(self.cols["t"].size)


class EventSink:
    """Collects events into per-day buffers; events outside the window are dropped."""

    def __init__(self, start_ns: int, days: int) -> None:
        self.start_ns = start_ns
        self.end_ns = start_ns + days * DAY
        self.buffers: dict[int, list[dict[str, np.ndarray]]] = {}
        self.kept = 0

    def add(
        self,
        t: Values,
        et: Values,
        prof: Values = -1,
        chan: Values = -1,
        launch: Values = -1,
        camp: Values = -1,
        aux: Values = 0,
        aux2: Values = 0,
        tries: Values = 0,
        flags: Values = 0,
    ) -> None:
        t = np.asarray(t, dtype=np.int64).reshape(-1)
        n = t.size
        if n == 0:
            return
        values = (t, et, prof, chan, launch, camp, aux, aux2, tries, flags)
        cols: dict[str, np.ndarray] = {
            name: np.broadcast_to(np.asarray(v, dtype=dtype), (n,))
            for (name, dtype), v in zip(COLUMNS, values, strict=True)
        }
        day = (t - self.start_ns) // DAY
        keep = (t >= self.start_ns) & (t < self.end_ns)
        if not keep.all():
            cols = {k: v[keep] for k, v in cols.items()}
            day = day[keep]
        if day.size == 0:
            return
        self.kept += int(day.size)
        first, last = int(day.min()), int(day.max())
        if first == last:
            self.buffers.setdefault(first, []).append({k: np.array(v) for k, v in cols.items()})
            return
        for d in range(first, last + 1):
            m = day == d
            if m.any():
                self.buffers.setdefault(d, []).append({k: v[m] for k, v in cols.items()})

    def take(self, day: int) -> DayTable:
        """Remove and return the complete table of one day."""
        parts = self.buffers.pop(day, [])
        cols: dict[str, np.ndarray]
        if not parts:
            cols = {name: np.zeros(0, dtype=dtype) for name, dtype in COLUMNS}
        else:
            cols = {name: np.concatenate([p[name] for p in parts]) for name, _ in COLUMNS}
        return DayTable(day, cols)
