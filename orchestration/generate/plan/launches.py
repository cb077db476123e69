"""Campaign launches: who gets the message, test sends, audiences, double opt-in.

* A send goes only to a subscription that is `subscribed` for the whole send window (the one
  exception is the double opt-in message, which by definition goes to an `unconfirmed` email
  subscription).
* Test sends go to the account's internal profiles before a regular launch (is_test).
* Campaign audiences: `sc_gcg_suppress` for GCG members, `sc_add` for the rest, then
  `sc_test_group_assign` (90 %) or `sc_control_group_assign`; a few `sc_remove` before the
  send. Only the test group gets the message; conversions (`pixel_open`,
  `promocode_activate` with the campaign id) follow assignment, more often in the test group.
"""

from __future__ import annotations

import numpy as np

import orchestration.generate.reference as ref
from orchestration.generate.constants import ET, MIN, SEC
from orchestration.generate.plan.events import Launch
from orchestration.generate.plan.sends import RETRY_WINDOW, send
from orchestration.generate.plan.state import PlanState
from orchestration.generate.world.model import Campaign

AUDIENCE_CONTROL = 0.1
CONVERSION = {"test": 0.07, "control": 0.04}
CONVERSION_MEAN_DAYS = 2.0


def run_launch(st: PlanState, camp: Campaign, t0: int, size: int, *, kind: str) -> int:
    """Run one launch of a regular or trigger campaign; returns the number of sends."""
    rng = st.rng
    p = st.profiles
    spread = (45 * MIN) if kind == "trigger" else int(min(60, 5 + size / 2000) * MIN)
    members = st.world.members[(camp.list_index, camp.channel)]
    if members.size == 0 or size <= 0:
        return 0
    alive = members[p.created[members] <= t0]
    # subscribed for the whole send window, soft-bounce retries included
    ok = st.subs.sendable(alive, camp.channel, t0, t0 + spread + RETRY_WINDOW)
    eligible = alive[ok]
    if not camp.audience:
        eligible = eligible[~st.gcg[eligible]]
    if eligible.size == 0:
        return 0
    take = min(size, eligible.size)
    chosen = eligible[rng.random(eligible.size) < take / eligible.size]
    if chosen.size == 0:
        return 0
    ts = t0 // SEC
    launch = st.new_launch(camp, ts, kind)
    sink = st.sink
    sink.add(t0, ET["campaign_launch"], launch=launch.index, camp=camp.index, aux=chosen.size)
    if kind == "regular" and rng.random() < 0.03:
        sink.add(
            t0 + int(rng.integers(1, 30)) * SEC, ET["camp_error"], launch=launch.index,
            camp=camp.index, aux=-1 - int(rng.integers(0, len(ref.LAUNCH_ERRORS))),
        )  # fmt: skip
    if kind == "regular":
        _test_sends(st, camp, t0)
    if camp.audience:
        chosen = _audience(st, camp, launch, chosen, t0)
    t_send = t0 + (rng.random(chosen.size) * spread).astype(np.int64)
    if rng.random() < 0.1:
        err = rng.random(chosen.size) < 0.003
        if err.any():
            sink.add(
                t_send[err], ET["camp_error"], chosen[err], camp.channel, launch.index,
                camp.index, aux=rng.integers(0, len(ref.CAMPAIGN_ERRORS), int(err.sum())),
            )  # fmt: skip
            chosen, t_send = chosen[~err], t_send[~err]
    return send(st, camp, launch, chosen, t_send, t0)


def send_doi(
    st: PlanState, camp: Campaign, profiles: np.ndarray, t_created: np.ndarray, day_t0: int
) -> None:
    """Double opt-in messages to profiles that just subscribed through a pop-up form."""
    if profiles.size == 0:
        return
    launch = st.new_launch(camp, day_t0 // SEC, "doi")
    st.sink.add(
        day_t0, ET["campaign_launch"], launch=launch.index, camp=camp.index, aux=profiles.size
    )
    t_send = t_created + st.rng.integers(2 * SEC, 40 * SEC, profiles.size)
    send(st, camp, launch, profiles, t_send, day_t0, doi=True)


def _test_sends(st: PlanState, camp: Campaign, t0: int) -> None:
    """One to three internal profiles get the message shortly before the launch."""
    rng = st.rng
    internal = st.world.internal_of[camp.account]
    internal = internal[st.profiles.has[internal, camp.channel]]
    if internal.size == 0:
        return
    k = int(rng.integers(1, min(3, internal.size) + 1))
    who = rng.choice(internal, size=k, replace=False)
    t_test = t0 - int(rng.integers(15 * 60, 3 * 3600)) * SEC
    launch = st.new_launch(camp, t_test // SEC, "test")
    t_send = t_test + rng.integers(0, 30 * SEC, k)
    send(st, camp, launch, who, t_send, t_test, test=True)


def _audience(
    st: PlanState, camp: Campaign, launch: Launch, cands: np.ndarray, t0: int
) -> np.ndarray:
    """Campaign audience split; returns the profiles that get the message."""
    rng = st.rng
    sink = st.sink
    ch, li, ci = camp.channel, launch.index, camp.index
    t_calc = t0 - int(rng.integers(5 * 60, 30 * 60)) * SEC
    t_each = t_calc + rng.integers(0, 120 * SEC, cands.size)
    in_gcg = st.gcg[cands]
    sink.add(t_each[in_gcg], ET["sc_gcg_suppress"], cands[in_gcg], ch, li, ci)
    aud, t_add = cands[~in_gcg], t_each[~in_gcg]
    sink.add(t_add, ET["sc_add"], aud, ch, li, ci)
    # the split is sticky per (campaign, profile): a holdout stays a holdout across launches
    mixed = (aud.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ np.uint64(
        camp.campaign_id * 0xBF58476D
    )
    control = (mixed >> np.uint64(40)) % np.uint64(1000) < np.uint64(AUDIENCE_CONTROL * 1000)
    t_assign = t_add + rng.integers(1 * 1_000_000, 900 * 1_000_000, aud.size)
    sink.add(t_assign[control], ET["sc_control_group_assign"], aud[control], ch, li, ci)
    sink.add(t_assign[~control], ET["sc_test_group_assign"], aud[~control], ch, li, ci)
    removed = ~control & (rng.random(aud.size) < 0.01)
    t_rm = np.minimum(t_assign + rng.integers(30 * SEC, 240 * SEC, aud.size), t0 - SEC)
    sink.add(t_rm[removed], ET["sc_remove"], aud[removed], ch, li, ci)
    for group, mask in (("test", ~control & ~removed), ("control", control)):
        conv = mask & (rng.random(aud.size) < CONVERSION[group])
        n = int(conv.sum())
        if n == 0:
            continue
        delay = (rng.exponential(CONVERSION_MEAN_DAYS * 86400, n) * SEC).astype(np.int64)
        t_conv = t_assign[conv] + delay + SEC
        kind = np.where(rng.random(n) < 0.6, ET["pixel_open"], ET["promocode_activate"])
        sink.add(
            t_conv, kind, aud[conv], st.primary_chan(aud[conv]), li, ci,
            aux=rng.integers(0, 1 << 30, n), aux2=1,
        )  # fmt: skip
    return aud[~control & ~removed]
