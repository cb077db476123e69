"""What recipients do with a delivered message: opens, clicks, reads, unsubscribes, complaints.

Behaviour follows the event-types document:

* Opens (email, push): a first open gives `open` + `uopen`; more `open`s follow. Email opens
  may be followed by `read`, `skimmed` or `glanced`.
* Clicks: the first click gives `click` + `uclick` (where the channel has a unique click);
  more `click`s follow. A unique click with no captured open also creates `open` and `uopen`
  at the click's instant. `confirm` in an email creates `click` and `uclick` when it is the
  first click of that message.
* Messenger reads, unsubscribes, complaints and email replies at small rates. `unsub`,
  `complain` (and `hbounce`, see `sends`) change the subscription status at their own
  instant; later events of the same send carry the new status.
* The double opt-in message is confirmed (`confirmsub`) by most of those who open it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.generate.constants import (
    CHANNELS,
    COMPLAINER,
    ET,
    NO_TYPE,
    SEC,
    SUBSCRIBED,
    UNSUBSCRIBED,
    role_type,
)
from orchestration.generate.plan.draws import geometric_extra, lognormal_ns, repeat_times
from orchestration.generate.plan.events import FLAG_APP, FLAG_PROXY, FLAG_TEST, Launch
from orchestration.generate.plan.state import PlanState
from orchestration.generate.world.model import Campaign

UNSUB_RATE = {"email": 0.003, "sms": 0.004}
DEFAULT_UNSUB_RATE = 0.016
"""Unsubscribes per delivered message; messenger users block a business far more readily."""
COMPLAIN_RATE = {"email": 0.0015}
DEFAULT_COMPLAIN_RATE = 0.015
REPLY_RATE = 0.0015
CONFIRM_RATE = 0.04
READ_RATE = (0.55, 0.75)


@dataclass(frozen=True)
class Delivered:
    """The messages one send call delivered: recipients `r` at instants `t`.

    `launch` is the launch number (the `launch` column); `flag` is FLAG_TEST for a test send
    (else 0) and goes on every event that follows.
    """

    camp: Campaign
    launch: int
    r: np.ndarray
    t: np.ndarray
    flag: int

    @property
    def name(self) -> str:
        """The channel's name."""
        return CHANNELS[self.camp.channel]

    @property
    def app(self) -> int:
        """FLAG_APP where opens and clicks come from the mobile app (push)."""
        return FLAG_APP if self.name == "push" else 0

    @property
    def has_opens(self) -> bool:
        return role_type(self.name, "open") != NO_TYPE


def engage(
    st: PlanState,
    camp: Campaign,
    launch: Launch,
    r: np.ndarray,
    t_d: np.ndarray,
    may_change: np.ndarray,
    *,
    test: bool,
    doi: bool,
) -> None:
    """The events after delivery of `camp` (run `launch`) to recipients `r` at `t_d`.

    `may_change`: where a status-changing outcome is allowed (see `sends`).
    """
    d = Delivered(camp, launch.index, r, t_d, FLAG_TEST if test else 0)
    opened, t_open = _opens(st, d, 0.7 if test else (0.38 if doi else camp.open_rate))
    if doi:
        _confirm_subscriptions(st, d, opened, t_open)
        return
    clicked, t_click = _clicks(st, d, opened, t_open, 0.3 if test else camp.click_rate)
    if d.name == "email" and camp.confirm:
        _confirms(st, d, opened, t_open, clicked, t_click)
    _messenger_reads(st, d)
    if test:
        return
    _status_outcomes(st, d, opened, t_open, may_change)
    if d.name == "email":
        rng = st.rng
        rp = rng.random(r.size) < REPLY_RATE
        t_r = t_d[rp] + lognormal_ns(rng, int(rp.sum()), 5 * 3600, 1.0, 5 * 86400)
        st.sink.add(t_r, ET["reply"], r[rp], camp.channel, launch.index, camp.index)


def _opens(st: PlanState, d: Delivered, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Opens (and email dwell events); returns (opened, time of the first open)."""
    rng = st.rng
    r, n = d.r, d.r.size
    ch, li, ci = d.camp.channel, d.launch, d.camp.index
    opened = np.zeros(n, dtype=bool)
    t_open = np.zeros(n, dtype=np.int64)
    if not d.has_opens:
        return opened, t_open
    open_t, uopen_t = role_type(d.name, "open"), role_type(d.name, "unique_open")
    opened = rng.random(n) < rate
    t_open[opened] = d.t[opened] + lognormal_ns(rng, int(opened.sum()), 5400, 1.4, 6 * 86400)
    extra = geometric_extra(rng, n, 0.55) * opened
    owner, t_more = repeat_times(rng, t_open, extra, 6 * 3600)
    o_r = np.concatenate([r[opened], r[owner]])
    o_t = np.concatenate([t_open[opened], t_more])
    o_flags = np.full(o_r.size, d.flag | d.app, dtype=np.int16)
    if d.name == "email":
        proxy = rng.random(o_r.size) < 0.12
        o_flags[proxy] |= FLAG_PROXY
    first = np.zeros(o_r.size, dtype=bool)
    first[: int(opened.sum())] = True
    st.sink.add(o_t[first], uopen_t, o_r[first], ch, li, ci, flags=o_flags[first])
    st.sink.add(o_t, open_t, o_r, ch, li, ci, flags=o_flags)
    _dwell(st, d, o_r, o_t)
    return opened, t_open


def _dwell(st: PlanState, d: Delivered, o_r: np.ndarray, o_t: np.ndarray) -> None:
    """read / skimmed / glanced after email opens (how long the message stayed open)."""
    name = d.name
    kinds = [
        (role_type(name, role), w) for role, w in (("read", 0.5), ("skim", 0.25), ("glance", 0.25))
    ]
    kinds = [(k, w) for k, w in kinds if k != NO_TYPE]
    if not kinds:
        return
    rng = st.rng
    has = rng.random(o_r.size) < 0.6
    types = np.array([k for k, _ in kinds], dtype=np.int16)
    w = np.array([w for _, w in kinds])
    pick = rng.choice(types.size, size=int(has.sum()), p=w / w.sum())
    secs = np.where(
        types[pick] == role_type(name, "read"),
        9,
        np.where(types[pick] == role_type(name, "skim"), 6, 2),
    )
    t = o_t[has] + secs * SEC + rng.integers(0, SEC, pick.size)
    st.sink.add(t, types[pick], o_r[has], d.camp.channel, d.launch, d.camp.index, flags=d.flag)


def _confirm_subscriptions(
    st: PlanState, d: Delivered, opened: np.ndarray, t_open: np.ndarray
) -> None:
    """Double opt-in: `confirmsub` a little after the open; the subscription is subscribed."""
    rng = st.rng
    r, ch = d.r, d.camp.channel
    conf = opened & (rng.random(r.size) < 0.9)
    t_conf_all = t_open + rng.integers(3 * SEC, 120 * SEC, r.size)
    conf &= st.subs.can_change(r, ch, t_conf_all)
    t_conf = t_conf_all[conf]
    confirmsub = role_type(d.name, "subscribe")
    st.sink.add(t_conf, confirmsub, r[conf], ch, d.launch, d.camp.index, flags=d.flag)
    st.subs.change(r[conf], ch, t_conf, SUBSCRIBED)


def _clicks(
    st: PlanState, d: Delivered, opened: np.ndarray, t_open: np.ndarray, rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Clicks, mostly by openers; returns (clicked, time of the first click)."""
    rng, sink = st.rng, st.sink
    r, n = d.r, d.r.size
    camp = d.camp
    ch, li, ci = camp.channel, d.launch, camp.index
    clicked = np.zeros(n, dtype=bool)
    t_click = np.zeros(n, dtype=np.int64)
    click_t, uclick_t = role_type(d.name, "click"), role_type(d.name, "unique_click")
    if click_t == NO_TYPE:
        return clicked, t_click
    n_click = int(rng.binomial(n, rate))
    if not n_click:
        return clicked, t_click
    openers = np.flatnonzero(opened)
    others = np.flatnonzero(~opened)
    k_open = min(openers.size, round(n_click * 0.8)) if d.has_opens else 0
    k_other = min(others.size, n_click - k_open)
    pick = np.concatenate(
        [
            rng.choice(openers, k_open, replace=False),
            rng.choice(others, k_other, replace=False),
        ]
    ).astype(np.int64)
    clicked[pick] = True
    from_open = opened[pick]
    tc = np.where(
        from_open,
        t_open[pick] + lognormal_ns(rng, pick.size, 45, 1.2, 3600),
        d.t[pick] + lognormal_ns(rng, pick.size, 5400, 1.4, 6 * 86400),
    )
    t_click[pick] = tc
    n_links = len(camp.links)
    link = rng.integers(0, n_links, pick.size)
    cflags = np.full(pick.size, d.flag | d.app, dtype=np.int16)
    if d.has_opens:
        open_t, uopen_t = role_type(d.name, "open"), role_type(d.name, "unique_open")
        implied = ~from_open
        iflags = cflags[implied]
        sink.add(tc[implied], open_t, r[pick][implied], ch, li, ci, flags=iflags)
        sink.add(tc[implied], uopen_t, r[pick][implied], ch, li, ci, flags=iflags)
    if uclick_t != NO_TYPE:
        sink.add(tc, uclick_t, r[pick], ch, li, ci, aux=link, flags=cflags)
    sink.add(tc, click_t, r[pick], ch, li, ci, aux=link, flags=cflags)
    extra = geometric_extra(rng, pick.size, 0.6)
    owner, t_more = repeat_times(rng, tc, extra, 1200)
    sink.add(
        t_more, click_t, r[pick][owner], ch, li, ci,
        aux=rng.integers(0, n_links, owner.size), flags=d.flag | d.app,
    )  # fmt: skip
    return clicked, t_click


def _confirms(
    st: PlanState,
    d: Delivered,
    opened: np.ndarray,
    t_open: np.ndarray,
    clicked: np.ndarray,
    t_click: np.ndarray,
) -> None:
    """`confirm` (a confirmation link in an email); the first click of a message also gives
    `uclick` and `click`."""
    rng, sink = st.rng, st.sink
    r, camp = d.r, d.camp
    ch, li, ci = camp.channel, d.launch, camp.index
    click_t, uclick_t = role_type(d.name, "click"), role_type(d.name, "unique_click")
    conf = opened & (rng.random(r.size) < CONFIRM_RATE)
    first_click = conf & ~clicked
    later = conf & clicked
    t_first = t_open[first_click] + lognormal_ns(rng, int(first_click.sum()), 30, 1.0, 600)
    t_later = t_click[later] + lognormal_ns(rng, int(later.sum()), 60, 1.0, 3600)
    link = len(camp.links) - 1
    sink.add(t_first, ET["confirm"], r[first_click], ch, li, ci, aux=link, flags=d.flag)
    sink.add(t_first, uclick_t, r[first_click], ch, li, ci, aux=link, flags=d.flag)
    sink.add(t_first, click_t, r[first_click], ch, li, ci, aux=link, flags=d.flag)
    sink.add(t_later, ET["confirm"], r[later], ch, li, ci, aux=link, flags=d.flag)


def _messenger_reads(st: PlanState, d: Delivered) -> None:
    """Reads on channels whose "read" is not an email dwell time (no opens there)."""
    read_t = role_type(d.name, "read")
    if read_t == NO_TYPE or d.has_opens:
        return
    rng = st.rng
    rd = rng.random(d.r.size) < rng.uniform(*READ_RATE)
    st.sink.add(
        d.t[rd] + lognormal_ns(rng, int(rd.sum()), 1200, 1.3, 3 * 86400), read_t, d.r[rd],
        d.camp.channel, d.launch, d.camp.index, flags=d.flag,
    )  # fmt: skip


def _status_outcomes(
    st: PlanState, d: Delivered, opened: np.ndarray, t_open: np.ndarray, may_change: np.ndarray
) -> None:
    """Unsubscribes and complaints: at most one per recipient, only where no change is
    pending."""
    rng, sink, subs = st.rng, st.sink, st.subs
    r, n, t_d, camp = d.r, d.r.size, d.t, d.camp
    ch, li, ci = camp.channel, d.launch, camp.index
    changed = np.zeros(n, dtype=bool)
    unsub_t = role_type(d.name, "unsubscribe")
    if unsub_t != NO_TYPE:
        rate = UNSUB_RATE.get(d.name, DEFAULT_UNSUB_RATE)
        if d.has_opens:
            u = may_change & opened & (rng.random(n) < rate / max(camp.open_rate, 0.1))
            t_all = t_open + rng.integers(5 * SEC, 300 * SEC, n)
        else:
            u = may_change & (rng.random(n) < rate)
            t_all = t_d + lognormal_ns(rng, n, 3 * 3600, 1.2, 5 * 86400)
        u &= subs.can_change(r, ch, t_all)
        t_u = t_all[u]
        sink.add(t_u, unsub_t, r[u], ch, li, ci)
        subs.change(r[u], ch, t_u, UNSUBSCRIBED)
        changed |= u
    complain_t = role_type(d.name, "complain")
    if complain_t != NO_TYPE:
        rate = COMPLAIN_RATE.get(d.name, DEFAULT_COMPLAIN_RATE)
        c = may_change & ~changed & (rng.random(n) < rate)
        t_all = t_d + lognormal_ns(rng, n, 86400, 0.8, 6 * 86400)
        c &= subs.can_change(r, ch, t_all)
        t_c = t_all[c]
        sink.add(t_c, complain_t, r[c], ch, li, ci)
        subs.change(r[c], ch, t_c, COMPLAINER)
