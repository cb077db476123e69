"""Loyalty-programme and promo-code events outside campaigns."""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import DAY, ET, SEC
from orchestration.generate.plan.draws import day_times, profiles_at, weighted_types
from orchestration.generate.plan.state import PlanState

LOYALTY_WEIGHTS = {
    "points_accrual": 0.42, "points_activate": 0.14, "points_redeem": 0.12, "points_expire": 0.05,
    "points_cancel_accrual": 0.03, "points_cancel_redeem": 0.02, "level_up": 0.06,
    "level_down": 0.02, "loyalty_register": 0.07, "loyalty_unregister": 0.015,
    "points_q_reset": 0.015,
}  # fmt: skip
PROMO_WEIGHTS = {"promocode_attach": 0.45, "promocode_activate": 0.35, "promocode_detach": 0.2}


def loyalty(st: PlanState, d: int, t0: int, n: int) -> None:
    """Events of loyalty members; on the first day of a quarter a points reset burst."""
    rng = st.rng
    p = st.profiles
    members = np.flatnonzero(p.loyalty & ~p.internal)
    types, w = weighted_types("loyalty", LOYALTY_WEIGHTS)
    prof, t = profiles_at(st, day_times(st, t0, n), members)
    et = types[rng.choice(types.size, size=prof.size, p=w)]
    day = np.datetime64(st.world.start_ns + d * DAY, "ns").astype("datetime64[D]").item()
    if day.day == 1 and day.month in (1, 4, 7, 10) and "points_q_reset" in ET:
        # quarterly reset: a burst right after midnight
        burst, tb = profiles_at(
            st, t0 + rng.integers(0, 20 * 60 * SEC, min(members.size, n // 3 + 1)), members
        )
        prof = np.concatenate([prof, burst])
        t = np.concatenate([t, tb])
        et = np.concatenate([et, np.full(burst.size, ET["points_q_reset"], np.int16)])
    points = np.maximum(1, rng.lognormal(np.log(120), 1.0, prof.size)).astype(np.int64)
    order = rng.integers(10_000_000, 99_999_999, prof.size)
    st.sink.add(t, et, prof, st.primary_chan(prof), aux=points, aux2=order)


def promocodes(st: PlanState, d: int, t0: int, n: int) -> None:
    """Promo codes attached, activated or detached outside campaigns."""
    types, w = weighted_types("promocode", PROMO_WEIGHTS)
    prof, t = profiles_at(st, day_times(st, t0, n))
    et = types[st.rng.choice(types.size, size=prof.size, p=w)]
    codes = st.rng.integers(0, 1 << 30, prof.size)
    st.sink.add(t, et, prof, st.primary_chan(prof), aux=codes, aux2=0)
