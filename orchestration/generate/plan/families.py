"""The families that are not message funnels: their share of a day and their simulators.

Each family of the catalog (`orchestration.catalog.FAMILIES`) that is not a message channel,
`campaign_launch`, `campaign_error` or `campaign_audience` (those come from launches) has a
simulator (`onsite`, `rewards`, `profile_ops`); a family added to the catalog without one gets
`_generic`, which emits its types for random profiles, so every catalog type shows up. Within
a family the types come from the catalog; names are used only where a type behaves specially.
Profiles created during the window get their import event or pop-up post (and double opt-in)
here too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from orchestration.catalog import FAMILIES
from orchestration.generate.constants import CH, CHANNELS, DAY, ET, HOUR, family_types
from orchestration.generate.plan.draws import day_times, event_count, profiles_at, weighted_types
from orchestration.generate.plan.launches import send_doi
from orchestration.generate.plan.onsite import pixel_goals, popup_of, popups
from orchestration.generate.plan.profile_ops import (
    IMPORT_WEIGHTS,
    api_unsubscribes,
    gcg_changes,
    imports,
    merges_and_splits,
)
from orchestration.generate.plan.rewards import loyalty, promocodes
from orchestration.generate.plan.state import PlanState
from orchestration.generate.world.accounts import ACCOUNTS

CHANNEL_FAMILIES = frozenset(CHANNELS)
LAUNCH_FAMILIES = frozenset({"campaign_launch", "campaign_error", "campaign_audience"})

FAMILY_SHARE = {
    "popup": 0.035, "loyalty": 0.035, "pixel": 0.03, "profile_import": 0.015,
    "promocode": 0.012, "gcg": 0.002, "profile_merge_split": 0.002, "api_unsubscribe": 0.002,
    "static_segment": 0.0,
}  # fmt: skip
"""Share of a day's events per family; static segments ride on imports."""
GENERIC_SHARE = 0.002

Simulator = Callable[[PlanState, int, int, int], None]
"""(state, day number, day start ns, number of events) -> None: emits one family's events."""


def _riding_on_imports(st: PlanState, d: int, t0: int, n: int) -> None:
    """Static segments: emitted by `profile_ops.imports`."""


SIMULATORS: dict[str, Simulator] = {
    "popup": popups,
    "loyalty": loyalty,
    "promocode": promocodes,
    "pixel": pixel_goals,
    "profile_import": imports,
    "profile_merge_split": merges_and_splits,
    "gcg": gcg_changes,
    "api_unsubscribe": api_unsubscribes,
    "static_segment": _riding_on_imports,
}


def family_total_share() -> float:
    """Share of a day's events that the non-message families take together."""
    total = 0.0
    for family in FAMILIES:
        if family in CHANNEL_FAMILIES or family in LAUNCH_FAMILIES:
            continue
        total += FAMILY_SHARE.get(family, GENERIC_SHARE)
    return total


def run_families(st: PlanState, d: int, t0: int, budget: float) -> None:
    """The day's events of every non-message family, then those of today's new profiles."""
    for family in FAMILIES:
        if family in CHANNEL_FAMILIES or family in LAUNCH_FAMILIES:
            continue
        sim = SIMULATORS.get(family, _generic_for(family))
        sim(st, d, t0, event_count(st, budget, FAMILY_SHARE.get(family, GENERIC_SHARE)))
    _created_profiles(st, d, t0)


def _generic_for(family: str) -> Simulator:
    """A simulator emitting the family's types for random profiles."""

    def sim(st: PlanState, d: int, t0: int, n: int) -> None:
        types = np.array([ET[x] for x in family_types(family)], dtype=np.int16)
        prof, t = profiles_at(st, day_times(st, t0, n))
        et = types[st.rng.integers(0, types.size, prof.size)]
        st.sink.add(
            t,
            et,
            prof,
            st.primary_chan(prof),
            aux=st.rng.integers(0, 1 << 30, prof.size),
        )

    return sim


def _created_profiles(st: PlanState, d: int, t0: int) -> None:
    """Profiles created today: an import event, or a pop-up form post + double opt-in."""
    p = st.profiles
    day = (p.created - st.world.start_ns) // DAY
    new = np.flatnonzero((day == d) & (p.created_via > 0))
    if new.size == 0:
        return
    t = p.created[new]
    imported = p.created_via[new] == 1
    types, w = weighted_types("profile_import", IMPORT_WEIGHTS)
    if imported.any():
        prof = new[imported]
        et = types[st.rng.choice(types.size, size=prof.size, p=w)]
        jobs = (t[imported] - t0) // (4 * HOUR) + st.job_seq + 1
        st.job_seq += 6
        st.sink.add(t[imported], et, prof, st.primary_chan(prof), aux=jobs, aux2=2)
    popup = ~imported
    if popup.any():
        prof = new[popup]
        st.sink.add(t[popup], ET["popup_post"], prof, CH["email"], aux=popup_of(p, prof), aux2=1)
        for a in range(len(ACCOUNTS)):
            mine = p.account[prof] == a
            doi = st.world.campaigns_of(a, CH["email"], "doi")
            if mine.any() and doi:
                send_doi(st, doi[0], prof[mine], t[popup][mine], t0)
