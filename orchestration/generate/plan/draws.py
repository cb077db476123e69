"""Random draws the simulators share: delays, repeated events, times of day, profiles."""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import ET, HOUR, N_CHANNELS, SEC, family_types
from orchestration.generate.plan.state import PlanState

HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3.5, 4.5, 5, 5, 5, 5, 5, 5, 5, 5.5, 6, 6.5, 6, 5, 3.5, 2],
    dtype=float,
)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()
"""When in the (UTC) day the events of the non-message families happen."""

# ---------------------------------------------------------------------- delays and repeats


def lognormal_ns(
    rng: np.random.Generator, n: int, median_s: float, sigma: float, cap_s: float
) -> np.ndarray:
    """n log-normal delays in ns (median and cap in seconds), plus a random sub-second part."""
    x = rng.lognormal(np.log(median_s), sigma, n)
    return (np.minimum(x, cap_s) * SEC).astype(np.int64) + rng.integers(0, SEC, n)


def geometric_extra(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """How many repeats after the first (0, 1, 2, ... with P(k) ~ (1-p)^k p)."""
    return rng.geometric(p, n) - 1


def repeat_times(
    rng: np.random.Generator, base_t: np.ndarray, counts: np.ndarray, mean_gap_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Times of repeated events after base_t: cumulative exponential gaps per owner.

    Returns (owner index into base_t, time) of every repeat.
    """
    owner = np.repeat(np.arange(base_t.size), counts)
    if owner.size == 0:
        return owner, np.zeros(0, dtype=np.int64)
    gaps = (rng.exponential(mean_gap_s, owner.size) * SEC).astype(np.int64) + 1
    # cumulative sum within each owner's run
    csum = np.cumsum(gaps)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    before = np.where(starts > 0, csum[np.maximum(starts - 1, 0)], 0)
    return owner, base_t[owner] + csum - before


# ---------------------------------------------------------------------- times of day, profiles


def day_times(st: PlanState, t0: int, n: int) -> np.ndarray:
    """n instants of the day starting at t0, by HOUR_WEIGHTS."""
    hours = st.rng.choice(24, size=n, p=HOUR_WEIGHTS)
    return t0 + hours * HOUR + st.rng.integers(0, HOUR, n)


def early_times(st: PlanState, t0: int, n: int) -> np.ndarray:
    """n instants between 00:00 and 06:00 of the day starting at t0 (before any launch)."""
    return t0 + st.rng.integers(0, 6 * HOUR, n)


def profiles_at(
    st: PlanState, t: np.ndarray, pool: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Random non-internal profiles (from `pool` if given) that exist at the given times:
    (profiles, times), fewer than t where a drawn profile does not qualify."""
    p = st.profiles
    n = t.size
    if pool is None:
        prof = st.rng.integers(0, p.n, n)
    else:
        if pool.size == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        prof = pool[st.rng.integers(0, pool.size, n)]
    ok = (p.created[prof] <= t) & ~p.internal[prof]
    return prof[ok], t[ok]


def random_subs(st: PlanState, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to k random distinct (profile, channel) subscriptions that exist, not internal."""
    p = st.profiles
    prof = st.rng.integers(0, p.n, k)
    chan = st.rng.integers(0, N_CHANNELS, k)
    ok = p.has[prof, chan] & ~p.internal[prof]
    prof, chan = prof[ok], chan[ok]
    key = prof * N_CHANNELS + chan
    _, first = np.unique(key, return_index=True)
    first.sort()
    return prof[first], chan[first]


def event_count(st: PlanState, budget: float, share: float) -> int:
    """A Poisson number of events around `share` of the day's budget."""
    return int(st.rng.poisson(max(budget * share, 0.0)))


def weighted_types(family: str, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """The family's type codes and their normalised weights (0.02 for a type not listed)."""
    names = family_types(family)
    w = np.array([weights.get(n, 0.02) for n in names], dtype=float)
    return np.array([ET[n] for n in names], dtype=np.int16), w / w.sum()
