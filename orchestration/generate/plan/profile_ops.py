"""Operations on profiles: imports (and the static segments they fill), merges and splits,
global control group (GCG) membership, API unsubscribes."""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import (
    DAY,
    ET,
    MS,
    SEC,
    SUBSCRIBED,
    UNSUBSCRIBED,
    family_types,
)
from orchestration.generate.plan.draws import (
    day_times,
    early_times,
    profiles_at,
    random_subs,
    weighted_types,
)
from orchestration.generate.plan.state import PlanState
from orchestration.generate.world.accounts import ACCOUNTS

IMPORT_WEIGHTS = {"import_file": 0.5, "import_api": 0.35, "import_manual": 0.15}
MERGE_WEIGHTS = {"profile_merge": 0.7, "profile_split": 0.3}
GCG_WEIGHTS = {"gcg_add": 0.6, "gcg_remove": 0.4}


def imports(st: PlanState, d: int, t0: int, n: int) -> None:
    """Import jobs of one account each (a few ms per profile); most file and manual imports
    also fill a static segment, from which some profiles are removed days later."""
    rng = st.rng
    sink = st.sink
    types, w = weighted_types("profile_import", IMPORT_WEIGHTS)
    remaining = n
    while remaining > 0:
        size = int(min(remaining, max(1, rng.lognormal(np.log(60), 1.2))))
        remaining -= size
        a = int(rng.integers(0, len(ACCOUNTS)))
        pool = np.flatnonzero(st.profiles.account == a)
        job_t = int(day_times(st, t0, 1)[0]) // SEC * SEC
        et = int(types[rng.choice(types.size, p=w)])
        job = st.next_job()
        t = job_t + np.cumsum(rng.integers(1 * MS, 25 * MS, size))
        prof, t = profiles_at(st, t, pool)
        prof, first = np.unique(prof, return_index=True)
        t = t[first]
        sink.add(t, et, prof, st.primary_chan(prof), aux=job, aux2=0)
        if et != ET.get("import_api") and rng.random() < 0.6:
            seg_t = t + 2 * SEC
            segment = 1000 + job
            segs = family_types("static_segment")
            add = [ET[x] for x in segs if x == "segs_add"]
            if add:
                sink.add(seg_t, add[0], prof, st.primary_chan(prof), aux=segment, aux2=job)
            removal = [ET[x] for x in segs if x != "segs_add"]
            if removal:
                rm = rng.random(prof.size) < 0.1
                t_rm = seg_t[rm] + (rng.uniform(0.2, 12, int(rm.sum())) * DAY).astype(np.int64)
                et_rm = np.array(removal, np.int16)[rng.integers(0, len(removal), int(rm.sum()))]
                sink.add(t_rm, et_rm, prof[rm], st.primary_chan(prof[rm]), aux=segment, aux2=job)


def merges_and_splits(st: PlanState, d: int, t0: int, n: int) -> None:
    """Profile merges and splits of existing, not deleted profiles."""
    types, w = weighted_types("profile_merge_split", MERGE_WEIGHTS)
    p = st.profiles
    pool = np.flatnonzero(~p.deleted & ~p.internal)
    prof, t = profiles_at(st, day_times(st, t0, n), pool)
    et = types[st.rng.choice(types.size, size=prof.size, p=w)]
    st.sink.add(t, et, prof, st.primary_chan(prof), aux=st.rng.integers(0, 1 << 40, prof.size))


def gcg_changes(st: PlanState, d: int, t0: int, n: int) -> None:
    """GCG entries and exits, before 06:00 so that launches see the new membership."""
    gcg = st.gcg
    for name in family_types("gcg"):
        share = GCG_WEIGHTS.get(name, 0.1)
        k = int(st.rng.binomial(n, share)) if n else 0
        pool = np.flatnonzero(gcg) if name == "gcg_remove" else None
        prof, t = profiles_at(st, early_times(st, t0, k), pool)
        prof, first = np.unique(prof, return_index=True)
        t = t[first]
        keep = gcg[prof] if name == "gcg_remove" else ~gcg[prof]
        prof, t = prof[keep], t[keep]
        st.sink.add(t, ET[name], prof, st.primary_chan(prof), aux=1 + st.profiles.account[prof])
        if name == "gcg_add":
            gcg[prof] = True
        elif name == "gcg_remove":
            gcg[prof] = False


def api_unsubscribes(st: PlanState, d: int, t0: int, n: int) -> None:
    """Unsubscribes through the API (before 06:00), of subscriptions with no pending change."""
    prof, chan = random_subs(st, n * 2 + 1)
    t = early_times(st, t0, prof.size)
    ok = (
        st.subs.free(prof, chan, t0)
        & (st.subs.current[prof, chan] == SUBSCRIBED)
        & (st.profiles.created[prof] <= t0)
    )
    sel = np.flatnonzero(ok)[:n]
    for name in family_types("api_unsubscribe"):
        st.sink.add(t[sel], ET[name], prof[sel], chan[sel])
    st.subs.change(prof[sel], chan[sel], t[sel], UNSUBSCRIBED)
