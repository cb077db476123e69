"""One send of a launch to its recipients: suppressions, promo codes, delivery attempts.

* Suppressed email addresses get `suppress` instead of `send`.
* Outcome of each attempt: delivered, soft bounce (retried later with `sends_trying_num` 1,
  then 2, same `send_message_id`), hard bounce (status becomes hardbounced; email and push
  only), or undelivered. Channels without bounce types only deliver or fail.
* Promo-code campaigns attach a code to each recipient just before the send.
* Delivered messages go on to `engagement`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import orchestration.generate.reference as ref
from orchestration.generate.constants import (
    CHANNELS,
    DAY,
    ET,
    HARDBOUNCED,
    MIN,
    NO_TYPE,
    SEC,
    role_type,
)
from orchestration.generate.plan.draws import lognormal_ns
from orchestration.generate.plan.engagement import engage
from orchestration.generate.plan.events import FLAG_TEST, Launch
from orchestration.generate.plan.state import PlanState
from orchestration.generate.world.model import Campaign


@dataclass(frozen=True)
class Delivery:
    """Attempt outcome probabilities: deliver, soft bounce, hard bounce (rest: undelivered)."""

    first: tuple[float, float, float]
    retry: tuple[float, float, float]


DELIVERY = {
    "email": Delivery((0.95, 0.02, 0.012), (0.70, 0.15, 0.03)),
    "push": Delivery((0.93, 0.025, 0.02), (0.70, 0.15, 0.03)),
}
DEFAULT_DELIVERY = Delivery((0.955, 0.0, 0.0), (0.70, 0.0, 0.0))
RETRY_WINDOW = 4 * 3600 * SEC
"""Two soft-bounce retries 15-90 minutes apart, plus bounce lags, fit in this."""
DOMAIN_FACTOR = np.array([ref.DOMAIN_BOUNCE_FACTOR.get(d, 1.0) for d, _ in ref.EMAIL_DOMAINS])


def send(
    st: PlanState,
    camp: Campaign,
    launch: Launch,
    who: np.ndarray,
    t_send: np.ndarray,
    t0: int,
    *,
    test: bool = False,
    doi: bool = False,
) -> int:
    """Send `camp` (run `launch`, started at t0) to `who` at `t_send`; returns the number of
    send attempts. Test and double opt-in sends never change a subscription's status."""
    rng = st.rng
    sink = st.sink
    p = st.profiles
    name = CHANNELS[camp.channel]
    ch, li, ci = camp.channel, launch.index, camp.index
    flags = np.int16(FLAG_TEST if test else 0)
    may_change = (
        np.zeros(who.size, dtype=bool)
        if (test or doi)
        else st.subs.free(who, ch, t0) & ~p.internal[who]
    )

    if name == "email" and not test:
        supp = p.suppressed[who]
        t_supp = t_send[supp]
        sink.add(t_supp, role_type(name, "suppress"), who[supp], ch, li, ci, flags=flags)
        who, t_send, may_change = who[~supp], t_send[~supp], may_change[~supp]
    if camp.promo and not test:
        _promo(st, camp, launch, who, t_send)

    n_sends = 0
    plan = DELIVERY.get(name, DEFAULT_DELIVERY)
    t_send_type = role_type(name, "send")
    deliv_type = role_type(name, "deliver")
    undeliv_type = role_type(name, "undeliver")
    soft_type = role_type(name, "soft_bounce")
    hard_type = role_type(name, "hard_bounce")
    got_r: list[np.ndarray] = []
    got_t: list[np.ndarray] = []
    got_m: list[np.ndarray] = []
    got_k: list[np.ndarray] = []
    cur_r, cur_t, cur_m = who, t_send, may_change
    tries = 0
    while cur_r.size:
        n = cur_r.size
        n_sends += n
        sink.add(cur_t, t_send_type, cur_r, ch, li, ci, tries=tries, flags=flags)
        st.subs.note_sends(cur_r, ch, cur_t)
        p_del, p_soft, p_hard = plan.first if tries == 0 else plan.retry
        if soft_type == NO_TYPE or tries >= 2:
            p_soft = 0.0
        hard = np.full(n, p_hard if hard_type != NO_TYPE else 0.0)
        soft: float | np.ndarray
        if name == "email":
            factor = DOMAIN_FACTOR[p.domain[cur_r]]
            hard = hard * factor
            soft = p_soft * factor
        else:
            soft = np.full(n, p_soft)
        u = rng.random(n)
        is_del = u < p_del
        is_soft = ~is_del & (u < p_del + soft)
        lag = lognormal_ns(rng, n, 3.0 if name == "email" else 1.5, 1.0, 600)
        is_hard = ~is_del & ~is_soft & (u < p_del + soft + hard) & cur_m
        is_hard &= st.subs.can_change(cur_r, ch, cur_t + lag * 3)
        is_undel = ~is_del & ~is_soft & ~is_hard
        got_r.append(cur_r[is_del])
        got_t.append(cur_t[is_del] + lag[is_del])
        got_m.append(cur_m[is_del])
        got_k.append(np.full(int(is_del.sum()), tries, dtype=np.int8))
        t_hard = cur_t[is_hard] + lag[is_hard] * 3
        sink.add(t_hard, hard_type, cur_r[is_hard], ch, li, ci, tries=tries, flags=flags)
        st.subs.change(cur_r[is_hard], ch, t_hard, HARDBOUNCED)
        t_und = cur_t[is_undel] + lag[is_undel] * (20 if name == "email" else 4)
        sink.add(t_und, undeliv_type, cur_r[is_undel], ch, li, ci, tries=tries, flags=flags)
        t_soft = cur_t[is_soft] + lag[is_soft] * 5
        sink.add(t_soft, soft_type, cur_r[is_soft], ch, li, ci, tries=tries, flags=flags)
        cur_r, cur_m = cur_r[is_soft], cur_m[is_soft]
        cur_t = t_soft + rng.integers(15 * MIN, 90 * MIN, cur_r.size)
        tries += 1
    d_r = np.concatenate(got_r) if got_r else np.zeros(0, np.int32)
    d_t = np.concatenate(got_t) if got_t else np.zeros(0, np.int64)
    d_m = np.concatenate(got_m) if got_m else np.zeros(0, bool)
    d_k = np.concatenate(got_k) if got_k else np.zeros(0, np.int8)
    sink.add(d_t, deliv_type, d_r, ch, li, ci, tries=d_k, flags=flags)
    if d_r.size:
        engage(st, camp, launch, d_r, d_t, d_m, test=test, doi=doi)
    return n_sends


def _promo(
    st: PlanState, camp: Campaign, launch: Launch, who: np.ndarray, t_send: np.ndarray
) -> None:
    """A promo code attached to each recipient just before the send; a few are activated or
    detached later."""
    rng = st.rng
    li, ci = launch.index, camp.index
    chan = st.primary_chan(who)
    codes = rng.integers(0, 1 << 30, who.size)
    t_att = t_send - rng.integers(1 * SEC, 20 * SEC, who.size)
    st.sink.add(t_att, ET["promocode_attach"], who, chan, li, ci, aux=codes, aux2=1)
    act = rng.random(who.size) < 0.03
    t_act = t_send[act] + (rng.exponential(3 * 86400, int(act.sum())) * SEC).astype(np.int64)
    st.sink.add(
        t_act, ET["promocode_activate"], who[act], chan[act], li, ci, aux=codes[act], aux2=1
    )
    det = ~act & (rng.random(who.size) < 0.015)
    t_det = t_send[det] + (rng.uniform(1, 10, int(det.sum())) * DAY).astype(np.int64)
    st.sink.add(t_det, ET["promocode_detach"], who[det], chan[det], li, ci, aux=codes[det], aux2=1)
