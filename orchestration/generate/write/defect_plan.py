"""Which records of a day get a defect: late, duplicated, followed by a malformed one, odd.

Duplicates (exact copies of a record) go next to the original in the same file, re-serialized
with another key order in the same file, in a same-day re-delivery file, or in a later day's
lag/retry file (`DUP_MODES`). Late events are written into the folder of a later dump day, 1
to 3 days later (`LATE_DELAY`). A malformed record sits next to the record it was derived
from. A few HTTP events are posted on their own (`SINGLES_PER_DAY`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.generate.write.defects import MALFORMED_KINDS, ODDITY_KINDS
from orchestration.generate.write.layout import WriterConfig

SINGLES_PER_DAY = 2.0
"""HTTP events posted on their own (a file with one event: a bare object or an array of one)."""
DUP_MODES = (0.35, 0.15, 0.30, 0.20)
"""adjacent copy, re-serialized copy in the same file, same-day other file, later day."""
LATE_DELAY = ((1, 0.7), (2, 0.2), (3, 0.1))
"""(days later, probability) of a late record's dump day (capped at the day after the last)."""


@dataclass(frozen=True)
class DefectPlan:
    """Per record (-1 for none): `late_to` its later dump day, `dup_mode` how it is duplicated
    (index into DUP_MODES), `dup_to` the dump day of a later-day copy, `mal_kind` the
    malformed record that follows it (index into MALFORMED_KINDS), `odd_kind` its oddity
    (index into ODDITY_KINDS); `rand` a random integer for the defect's details, `single`
    whether it is posted on its own."""

    late_to: np.ndarray
    dup_mode: np.ndarray
    dup_to: np.ndarray
    mal_kind: np.ndarray
    odd_kind: np.ndarray
    rand: np.ndarray
    single: np.ndarray

    @property
    def special(self) -> np.ndarray:
        """Records with any defect (they take the slow path of the writer)."""
        return (
            (self.late_to >= 0)
            | (self.dup_mode >= 0)
            | (self.mal_kind >= 0)
            | (self.odd_kind >= 0)
            | self.single
        )


def draw_defects(
    rng: np.random.Generator,
    cfg: WriterConfig,
    day: int,
    exempt: np.ndarray,
    batch_rows: np.ndarray,
) -> DefectPlan:
    """The defects of day `day`'s records; `exempt` records are never late or duplicated
    (those of the stream whose file will be cut short), `batch_rows` are those of HTTP
    batches (they may be single posts)."""
    n = int(exempt.size)
    late = (rng.random(n) < cfg.late_rate) & ~exempt
    delays = np.array([d for d, _ in LATE_DELAY])
    late_to = np.where(
        late,
        np.minimum(day + rng.choice(delays, n, p=[p for _, p in LATE_DELAY]), cfg.days),
        -1,
    )
    dup = (rng.random(n) < cfg.duplicate_rate) & ~exempt & ~late
    dup_mode = np.where(dup, rng.choice(len(DUP_MODES), n, p=DUP_MODES), -1)
    dup_to = np.minimum(day + rng.choice(delays, n, p=[p for _, p in LATE_DELAY]), cfg.days)
    mal = rng.random(n) < cfg.malformed_rate
    kinds = [k for k, _ in MALFORMED_KINDS]
    weights = np.array([w for _, w in MALFORMED_KINDS])
    mal_kind = np.where(mal, rng.choice(len(kinds), n, p=weights / weights.sum()), -1)
    odd = rng.random(n) < cfg.malformed_rate
    odd_kind = np.where(odd, rng.integers(0, len(ODDITY_KINDS), n), -1)
    rand = rng.integers(0, 1 << 30, n)
    single = np.zeros(n, dtype=bool)
    k = min(int(rng.poisson(SINGLES_PER_DAY)), batch_rows.size)
    single[rng.choice(batch_rows, size=k, replace=False)] = True
    single &= late_to < 0
    return DefectPlan(late_to, dup_mode, dup_to, mal_kind, odd_kind, rand, single)
