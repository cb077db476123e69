"""Events from the accounts' websites: pop-up forms and tracking-pixel goals."""

from __future__ import annotations

import numpy as np

import orchestration.generate.reference as ref
from orchestration.generate.constants import ET, MS, SEC, family_types
from orchestration.generate.plan.draws import day_times, profiles_at
from orchestration.generate.plan.state import PlanState
from orchestration.generate.world.model import Profiles

POPUP_HANDLED = frozenset(
    {
        "popup_open",
        "popup_close",
        "popup_click",
        "popup_post",
        "popup_bounce",
        "popup_error",
        "popup_custom",
    }
)
"""Pop-up types with a behaviour of their own; other types of the family are rare extras."""


def popup_of(p: Profiles, prof: np.ndarray) -> np.ndarray:
    """The pop-up (index into `reference.POPUP_NAMES`) a profile sees on its account's site."""
    return (p.account[prof].astype(np.int64) * 7 + p.key[prof] % 3) % len(ref.POPUP_NAMES)


def popups(st: PlanState, d: int, t0: int, n_events: int) -> None:
    """Pop-up views (about half the events) and what follows: close, click, form post, ..."""
    rng = st.rng
    sink = st.sink
    prof, t = profiles_at(st, day_times(st, t0, max(1, n_events // 2)))
    if prof.size == 0:
        return
    chan = st.primary_chan(prof)
    popup = popup_of(st.profiles, prof)
    sink.add(t, ET["popup_open"], prof, chan, aux=popup)
    u = rng.random(prof.size)
    after = t + rng.integers(2 * SEC, 40 * SEC, prof.size)
    close = u < 0.45
    sink.add(after[close], ET["popup_close"], prof[close], chan[close], aux=popup[close])
    click = (u >= 0.45) & (u < 0.70)
    element = rng.integers(0, len(ref.POPUP_ELEMENTS), prof.size)
    sink.add(
        after[click],
        ET["popup_click"],
        prof[click],
        chan[click],
        aux=popup[click],
        aux2=element[click],
    )
    post = click & (rng.random(prof.size) < 0.5)
    t_post = after + rng.integers(5 * SEC, 60 * SEC, prof.size)
    bounce = post & (rng.random(prof.size) < 0.1)
    ok = post & ~bounce
    sink.add(t_post[ok], ET["popup_post"], prof[ok], chan[ok], aux=popup[ok])
    sink.add(t_post[bounce], ET["popup_bounce"], prof[bounce], chan[bounce], aux=popup[bounce])
    err = (u >= 0.70) & (u < 0.74)
    e_code = rng.integers(0, len(ref.POPUP_ERRORS), prof.size)
    sink.add(after[err], ET["popup_error"], prof[err], chan[err], aux=popup[err], aux2=e_code[err])
    custom = (u >= 0.74) & (u < 0.84)
    c_code = rng.integers(0, len(ref.POPUP_CUSTOM), prof.size)
    sink.add(
        after[custom],
        ET["popup_custom"],
        prof[custom],
        chan[custom],
        aux=popup[custom],
        aux2=c_code[custom],
    )
    others = [ET[x] for x in family_types("popup") if x not in POPUP_HANDLED]
    if others:
        rest = u >= 0.97
        sink.add(
            after[rest],
            np.array(others, np.int16)[rng.integers(0, len(others), int(rest.sum()))],
            prof[rest],
            chan[rest],
            aux=popup[rest],
        )


def pixel_goals(st: PlanState, d: int, t0: int, n: int) -> None:
    """Pixel events of random profiles (browser clocks: millisecond instants)."""
    types = family_types("pixel")
    prof, t = profiles_at(st, day_times(st, t0, n))
    t = t - t % MS
    et = np.array([ET[x] for x in types], np.int16)[st.rng.integers(0, len(types), prof.size)]
    st.sink.add(t, et, prof, st.primary_chan(prof), aux=st.rng.integers(0, 1 << 30, prof.size))
