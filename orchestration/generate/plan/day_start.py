"""Status changes decided at the start of a day: silent churn and re-subscriptions.

Status rules of the event-types document are kept: events are registered only for changes to
subscribed, unsubscribed, complainer, hardbounced; a change to subscribed only from
unsubscribed, complainer or hardbounced (messenger `*_subscribe` events, or an import that
re-subscribes an email/SMS address). Changes to suspended, invalid (and back from suspended)
are silent: no event, but later events show the status. All these changes are decided at the
day's start and happen between 00:00 and 06:00 UTC, before any launch.
"""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import (
    CH,
    CHANNELS,
    ET,
    INVALID,
    NO_TYPE,
    REGISTERED_FROM,
    SUBSCRIBED,
    SUSPENDED,
    role_type,
)
from orchestration.generate.plan.draws import early_times, random_subs
from orchestration.generate.plan.state import PlanState

RESUBSCRIBE_RATE = np.array(
    [0.004 if c in ("email", "sms") else 0.02 for c in CHANNELS], dtype=float
)
"""Daily chance that a lapsed subscription (unsubscribed, complainer, hardbounced) returns."""


def day_start(st: PlanState, t0: int) -> None:
    """Silent churn and re-subscriptions of the day starting at t0."""
    _silent_changes(st, t0)
    _resubscriptions(st, t0)


def _silent_changes(st: PlanState, t0: int) -> None:
    """subscribed -> suspended / invalid (0.04 % a day); suspended -> subscribed."""
    rng, subs, p = st.rng, st.subs, st.profiles
    n_subs = int(p.has.sum())
    # Draw three times the candidates, as most draws hit a subscription that does not
    # qualify, and keep a third of the qualifying ones.
    prof, chan = random_subs(st, int(rng.poisson(n_subs * 0.0012)) * 3)
    t = early_times(st, t0, prof.size)
    ok = subs.free(prof, chan, t0) & (p.created[prof] <= t0)
    cur = subs.current[prof, chan]
    down = ok & (cur == SUBSCRIBED)
    down_idx = np.flatnonzero(down)[: max(1, down.sum() // 3)]
    to_invalid = rng.random(down_idx.size) < 0.3
    for status, sel in ((SUSPENDED, down_idx[~to_invalid]), (INVALID, down_idx[to_invalid])):
        subs.change(prof[sel], chan[sel], t[sel], status)
    back = np.flatnonzero(ok & (cur == SUSPENDED) & (rng.random(prof.size) < 0.5))
    subs.change(prof[back], chan[back], t[back], SUBSCRIBED)


def _resubscriptions(st: PlanState, t0: int) -> None:
    """Registered re-subscriptions, from unsubscribed / complainer / hardbounced only: a
    messenger `*_subscribe` event, or an API import for an email or SMS address."""
    rng, subs, p = st.rng, st.subs, st.profiles
    lapsed = np.isin(subs.current, REGISTERED_FROM) & p.has & (subs.since <= t0)
    lapsed &= ((p.created <= t0) & ~p.internal)[:, None]
    lapsed &= rng.random(lapsed.shape) < RESUBSCRIBE_RATE[None, :]
    prof, chan = np.nonzero(lapsed)
    t = early_times(st, t0, prof.size)
    sub_type = np.array(
        [role_type(c, "subscribe") if c != "email" else NO_TYPE for c in CHANNELS],
        dtype=np.int16,
    )
    via_import = np.isin(chan, [CH["email"], CH["sms"]])
    messenger = sub_type[chan] != NO_TYPE
    st.sink.add(t[messenger], sub_type[chan[messenger]], prof[messenger], chan[messenger])
    subs.change(prof[messenger], chan[messenger], t[messenger], SUBSCRIBED)
    if via_import.any():
        job = st.next_job()
        st.sink.add(
            t[via_import], ET["import_api"], prof[via_import], chan[via_import], aux=job, aux2=1
        )
        subs.change(prof[via_import], chan[via_import], t[via_import], SUBSCRIBED)
