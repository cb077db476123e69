"""Campaign launches and the per-send funnel of every message channel, vectorised per launch.

Behaviour follows the event-types document:

* A send goes only to a subscription that is `subscribed` for the whole send window (the one
  exception is the double opt-in message, which by definition goes to an `unconfirmed` email
  subscription). Suppressed email addresses get `suppress` instead of `send`.
* Outcome of each attempt: delivered, soft bounce (retried later with `sends_trying_num` 1,
  then 2, same `send_message_id`), hard bounce (status becomes hardbounced; email and push
  only), or undelivered. Channels without bounce types only deliver or fail.
* Opens (email, push): a first open gives `open` + `uopen`; more `open`s follow. Email opens
  may be followed by `read`, `skimmed` or `glanced`.
* Clicks: the first click gives `click` + `uclick` (where the channel has a unique click);
  more `click`s follow. A unique click with no captured open also creates `open` and `uopen`
  at the click's instant. `confirm` in an email creates `click` and `uclick` when it is the
  first click of that message.
* Messenger reads, unsubscribes, complaints and email replies at small rates. `unsub`,
  `complain` and `hbounce` change the subscription status at their own instant; later events
  of the same send carry the new status.
* Test sends go to the account's internal profiles before a regular launch (is_test).
* Campaign audiences: `sc_gcg_suppress` for GCG members, `sc_add` for the rest, then
  `sc_test_group_assign` (90 %) or `sc_control_group_assign`; a few `sc_remove` before the
  send. Only the test group gets the message; conversions (`pixel_open`,
  `promocode_activate` with the campaign id) follow assignment, more often in the test group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from orchestration.generate import reference as ref
from orchestration.generate.constants import (
    CHANNELS,
    COMPLAINER,
    DAY,
    ET,
    HARDBOUNCED,
    MIN,
    NO_TYPE,
    SEC,
    SUBSCRIBED,
    UNSUBSCRIBED,
    role_type,
)
from orchestration.generate.entities import Campaign
from orchestration.generate.events import FLAG_APP, FLAG_IMPLIED, FLAG_PROXY, FLAG_TEST

if TYPE_CHECKING:
    from orchestration.generate.planner import Planner


@dataclass(frozen=True)
class Launch:
    """One run of a campaign. `launch_id` follows hook-message-format section 1.2."""

    index: int
    campaign: int
    ts: int
    launch_id: str
    kind: str


def make_launch_id(account_id: int, campaign_id: int, ts: int) -> str:
    return f"{account_id:08x}{campaign_id:08x}{ts & 0xFFFFFFFF:08x}"


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

UNSUB_RATE = {"email": 0.003, "sms": 0.004}
DEFAULT_UNSUB_RATE = 0.016
"""Unsubscribes per delivered message; messenger users block a business far more readily."""
COMPLAIN_RATE = {"email": 0.0015}
DEFAULT_COMPLAIN_RATE = 0.015
REPLY_RATE = 0.0015
CONFIRM_RATE = 0.04
READ_RATE = (0.55, 0.75)
AUDIENCE_CONTROL = 0.1
CONVERSION = {"test": 0.07, "control": 0.04}
CONVERSION_MEAN_DAYS = 2.0


def _lognormal_ns(rng: np.random.Generator, n: int, median_s: float, sigma: float, cap_s: float):
    x = rng.lognormal(np.log(median_s), sigma, n)
    return (np.minimum(x, cap_s) * SEC).astype(np.int64) + rng.integers(0, SEC, n)


def _geometric_extra(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """How many repeats after the first (0, 1, 2, ... with P(k) ~ (1-p)^k p)."""
    return rng.geometric(p, n) - 1


def _repeat_times(rng, base_t: np.ndarray, counts: np.ndarray, mean_gap_s: float):
    """Times of repeated events after base_t: cumulative exponential gaps per owner."""
    owner = np.repeat(np.arange(base_t.size), counts)
    if owner.size == 0:
        return owner, np.zeros(0, dtype=np.int64)
    gaps = (rng.exponential(mean_gap_s, owner.size) * SEC).astype(np.int64) + 1
    # cumulative sum within each owner's run
    csum = np.cumsum(gaps)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    before = np.where(starts > 0, csum[np.maximum(starts - 1, 0)], 0)
    return owner, base_t[owner] + csum - before


class Funnel:
    """Simulates launches for a planner (which holds the RNG, sink and status state)."""

    def __init__(self, planner: Planner) -> None:
        self.pl = planner
        self.w = planner.world
        self.p = planner.world.profiles

    # ------------------------------------------------------------------ launches

    def launch(self, camp: Campaign, t0: int, size: int, *, kind: str) -> int:
        """Run one launch of a regular or trigger campaign; returns the number of sends."""
        pl = self.pl
        rng = pl.rng
        spread = (45 * MIN) if kind == "trigger" else int(min(60, 5 + size / 2000) * MIN)
        members = self.w.members[(camp.list_index, camp.channel)]
        if members.size == 0 or size <= 0:
            return 0
        alive = members[self.p.created[members] <= t0]
        # subscribed for the whole send window, soft-bounce retries included
        ok = pl.subs.sendable(alive, camp.channel, t0, t0 + spread + RETRY_WINDOW)
        eligible = alive[ok]
        if not camp.audience:
            eligible = eligible[~pl.gcg[eligible]]
        if eligible.size == 0:
            return 0
        take = min(size, eligible.size)
        chosen = eligible[rng.random(eligible.size) < take / eligible.size]
        if chosen.size == 0:
            return 0
        ts = t0 // SEC
        launch = pl.new_launch(camp, ts, kind)
        sink = pl.sink
        sink.add(t0, ET["campaign_launch"], launch=launch.index, camp=camp.index, aux=chosen.size)
        if kind == "regular" and rng.random() < 0.03:
            sink.add(
                t0 + int(rng.integers(1, 30)) * SEC, ET["camp_error"], launch=launch.index,
                camp=camp.index, aux=-1 - int(rng.integers(0, len(ref.LAUNCH_ERRORS))),
            )  # fmt: skip
        if kind == "regular":
            self._test_sends(camp, t0)
        if camp.audience:
            chosen = self._audience(camp, launch, chosen, t0)
        t_send = t0 + (rng.random(chosen.size) * spread).astype(np.int64)
        if rng.random() < 0.1:
            err = rng.random(chosen.size) < 0.003
            if err.any():
                sink.add(
                    t_send[err], ET["camp_error"], chosen[err], camp.channel, launch.index,
                    camp.index, aux=rng.integers(0, len(ref.CAMPAIGN_ERRORS), int(err.sum())),
                )  # fmt: skip
                chosen, t_send = chosen[~err], t_send[~err]
        return self.sends(camp, launch, chosen, t_send, t0)

    def _test_sends(self, camp: Campaign, t0: int) -> None:
        pl = self.pl
        rng = pl.rng
        internal = self.w.internal_of[camp.account]
        internal = internal[self.p.has[internal, camp.channel]]
        if internal.size == 0:
            return
        k = int(rng.integers(1, min(3, internal.size) + 1))
        who = rng.choice(internal, size=k, replace=False)
        t_test = t0 - int(rng.integers(15 * 60, 3 * 3600)) * SEC
        launch = pl.new_launch(camp, t_test // SEC, "test")
        t_send = t_test + rng.integers(0, 30 * SEC, k)
        self.sends(camp, launch, who, t_send, t_test, test=True)

    def doi(self, camp: Campaign, profiles: np.ndarray, t_created: np.ndarray, day_t0: int) -> None:
        """Double opt-in messages to profiles that just subscribed through a pop-up form."""
        if profiles.size == 0:
            return
        launch = self.pl.new_launch(camp, day_t0 // SEC, "doi")
        self.pl.sink.add(
            day_t0, ET["campaign_launch"], launch=launch.index, camp=camp.index, aux=profiles.size
        )
        t_send = t_created + self.pl.rng.integers(2 * SEC, 40 * SEC, profiles.size)
        self.sends(camp, launch, profiles, t_send, day_t0, doi=True)

    def _audience(self, camp: Campaign, launch: Launch, cands: np.ndarray, t0: int) -> np.ndarray:
        """Campaign audience split; returns the profiles that get the message."""
        pl = self.pl
        rng = pl.rng
        sink = pl.sink
        ch, li, ci = camp.channel, launch.index, camp.index
        t_calc = t0 - int(rng.integers(5 * 60, 30 * 60)) * SEC
        t_each = t_calc + rng.integers(0, 120 * SEC, cands.size)
        in_gcg = pl.gcg[cands]
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
                t_conv, kind, aud[conv], pl.primary_chan(aud[conv]), li, ci,
                aux=rng.integers(0, 1 << 30, n), aux2=1,
            )  # fmt: skip
        return aud[~control & ~removed]

    # ------------------------------------------------------------------ one send

    def sends(
        self,
        camp: Campaign,
        launch: Launch,
        who: np.ndarray,
        t_send: np.ndarray,
        t0: int,
        *,
        test: bool = False,
        doi: bool = False,
    ) -> int:
        pl = self.pl
        rng = pl.rng
        sink = pl.sink
        name = CHANNELS[camp.channel]
        ch, li, ci = camp.channel, launch.index, camp.index
        flags = np.int16(FLAG_TEST if test else 0)
        may_change = (
            np.zeros(who.size, dtype=bool)
            if (test or doi)
            else pl.subs.free(who, ch, t0) & ~self.p.internal[who]
        )

        if name == "email" and not test:
            supp = self.p.suppressed[who]
            t_supp = t_send[supp]
            sink.add(t_supp, role_type(name, "suppress"), who[supp], ch, li, ci, flags=flags)
            who, t_send, may_change = who[~supp], t_send[~supp], may_change[~supp]
        if camp.promo and not test:
            self._promo(camp, launch, who, t_send)

        n_sends = 0
        plan = DELIVERY.get(name, DEFAULT_DELIVERY)
        t_send_type = role_type(name, "send")
        deliv_type = role_type(name, "deliver")
        undeliv_type = role_type(name, "undeliver")
        soft_type = role_type(name, "soft_bounce")
        hard_type = role_type(name, "hard_bounce")
        got_r, got_t, got_m, got_k = [], [], [], []
        cur_r, cur_t, cur_m = who, t_send, may_change
        tries = 0
        while cur_r.size:
            n = cur_r.size
            n_sends += n
            sink.add(cur_t, t_send_type, cur_r, ch, li, ci, tries=tries, flags=flags)
            pl.subs.note_sends(cur_r, ch, cur_t)
            p_del, p_soft, p_hard = plan.first if tries == 0 else plan.retry
            if soft_type == NO_TYPE or tries >= 2:
                p_soft = 0.0
            hard = np.full(n, p_hard if hard_type != NO_TYPE else 0.0)
            if name == "email":
                factor = DOMAIN_FACTOR[self.p.domain[cur_r]]
                hard = hard * factor
                soft = p_soft * factor
            else:
                soft = np.full(n, p_soft)
            u = rng.random(n)
            is_del = u < p_del
            is_soft = ~is_del & (u < p_del + soft)
            lag = _lognormal_ns(rng, n, 3.0 if name == "email" else 1.5, 1.0, 600)
            is_hard = ~is_del & ~is_soft & (u < p_del + soft + hard) & cur_m
            is_hard &= pl.subs.can_change(cur_r, ch, cur_t + lag * 3)
            is_undel = ~is_del & ~is_soft & ~is_hard
            got_r.append(cur_r[is_del])
            got_t.append(cur_t[is_del] + lag[is_del])
            got_m.append(cur_m[is_del])
            got_k.append(np.full(int(is_del.sum()), tries, dtype=np.int8))
            t_hard = cur_t[is_hard] + lag[is_hard] * 3
            sink.add(t_hard, hard_type, cur_r[is_hard], ch, li, ci, tries=tries, flags=flags)
            pl.subs.change(cur_r[is_hard], ch, t_hard, HARDBOUNCED)
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
            self._engagement(camp, launch, d_r, d_t, d_m, test=test, doi=doi)
        return n_sends

    def _engagement(self, camp, launch, r, t_d, may_change, *, test: bool, doi: bool) -> None:
        pl = self.pl
        rng = pl.rng
        sink = pl.sink
        name = CHANNELS[camp.channel]
        ch, li, ci = camp.channel, launch.index, camp.index
        base_flag = FLAG_TEST if test else 0
        n = r.size
        open_t, uopen_t = role_type(name, "open"), role_type(name, "unique_open")
        click_t, uclick_t = role_type(name, "click"), role_type(name, "unique_click")
        app = FLAG_APP if name == "push" else 0
        has_opens = open_t != NO_TYPE

        opened = np.zeros(n, dtype=bool)
        t_open = np.zeros(n, dtype=np.int64)
        if has_opens:
            rate = 0.7 if test else (0.38 if doi else camp.open_rate)
            opened = rng.random(n) < rate
            t_open[opened] = t_d[opened] + _lognormal_ns(
                rng, int(opened.sum()), 5400, 1.4, 6 * 86400
            )
            extra = _geometric_extra(rng, n, 0.55) * opened
            owner, t_more = _repeat_times(rng, t_open, extra, 6 * 3600)
            o_r = np.concatenate([r[opened], r[owner]])
            o_t = np.concatenate([t_open[opened], t_more])
            o_flags = np.full(o_r.size, base_flag | app, dtype=np.int16)
            if name == "email":
                proxy = rng.random(o_r.size) < 0.12
                o_flags[proxy] |= FLAG_PROXY
            first = np.zeros(o_r.size, dtype=bool)
            first[: int(opened.sum())] = True
            sink.add(o_t[first], uopen_t, o_r[first], ch, li, ci, flags=o_flags[first])
            sink.add(o_t, open_t, o_r, ch, li, ci, flags=o_flags)
            self._dwell(name, ch, li, ci, o_r, o_t, base_flag)

        if doi:
            conf = opened & (rng.random(n) < 0.9)
            t_conf_all = t_open + rng.integers(3 * SEC, 120 * SEC, n)
            conf &= pl.subs.can_change(r, ch, t_conf_all)
            t_conf = t_conf_all[conf]
            confirmsub = role_type(name, "subscribe")
            sink.add(t_conf, confirmsub, r[conf], ch, li, ci, flags=base_flag)
            pl.subs.change(r[conf], ch, t_conf, SUBSCRIBED)
            return

        # clicks
        clicked = np.zeros(n, dtype=bool)
        t_click = np.zeros(n, dtype=np.int64)
        if click_t != NO_TYPE:
            rate = 0.3 if test else camp.click_rate
            n_click = int(rng.binomial(n, rate))
            if n_click:
                openers = np.flatnonzero(opened)
                others = np.flatnonzero(~opened)
                k_open = min(openers.size, round(n_click * 0.8)) if has_opens else 0
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
                    t_open[pick] + _lognormal_ns(rng, pick.size, 45, 1.2, 3600),
                    t_d[pick] + _lognormal_ns(rng, pick.size, 5400, 1.4, 6 * 86400),
                )
                t_click[pick] = tc
                n_links = len(camp.links)
                link = rng.integers(0, n_links, pick.size)
                cflags = np.full(pick.size, base_flag | app, dtype=np.int16)
                if has_opens:
                    implied = ~from_open
                    iflags = cflags[implied] | FLAG_IMPLIED
                    sink.add(tc[implied], open_t, r[pick][implied], ch, li, ci, flags=iflags)
                    sink.add(tc[implied], uopen_t, r[pick][implied], ch, li, ci, flags=iflags)
                if uclick_t != NO_TYPE:
                    sink.add(tc, uclick_t, r[pick], ch, li, ci, aux=link, flags=cflags)
                sink.add(tc, click_t, r[pick], ch, li, ci, aux=link, flags=cflags)
                extra = _geometric_extra(rng, pick.size, 0.6)
                owner, t_more = _repeat_times(rng, tc, extra, 1200)
                sink.add(
                    t_more, click_t, r[pick][owner], ch, li, ci,
                    aux=rng.integers(0, n_links, owner.size), flags=base_flag | app,
                )  # fmt: skip

        if name == "email" and camp.confirm:
            conf = opened & (rng.random(n) < CONFIRM_RATE)
            first_click = conf & ~clicked
            later = conf & clicked
            t_first = t_open[first_click] + _lognormal_ns(rng, int(first_click.sum()), 30, 1.0, 600)
            t_later = t_click[later] + _lognormal_ns(rng, int(later.sum()), 60, 1.0, 3600)
            link = len(camp.links) - 1
            sink.add(t_first, ET["confirm"], r[first_click], ch, li, ci, aux=link, flags=base_flag)
            sink.add(t_first, uclick_t, r[first_click], ch, li, ci, aux=link, flags=base_flag)
            sink.add(t_first, click_t, r[first_click], ch, li, ci, aux=link, flags=base_flag)
            sink.add(t_later, ET["confirm"], r[later], ch, li, ci, aux=link, flags=base_flag)

        # messenger reads (channels whose "read" is not an email dwell time)
        read_t = role_type(name, "read")
        if read_t != NO_TYPE and not has_opens:
            rd = rng.random(n) < rng.uniform(*READ_RATE)
            sink.add(
                t_d[rd] + _lognormal_ns(rng, int(rd.sum()), 1200, 1.3, 3 * 86400), read_t, r[rd],
                ch, li, ci, flags=base_flag,
            )  # fmt: skip

        if test:
            return
        # status-changing outcomes: at most one per recipient, only where no change is pending
        changed = np.zeros(n, dtype=bool)
        unsub_t = role_type(name, "unsubscribe")
        if unsub_t != NO_TYPE:
            rate = UNSUB_RATE.get(name, DEFAULT_UNSUB_RATE)
            if has_opens:
                u = may_change & opened & (rng.random(n) < rate / max(camp.open_rate, 0.1))
                t_all = t_open + rng.integers(5 * SEC, 300 * SEC, n)
            else:
                u = may_change & (rng.random(n) < rate)
                t_all = t_d + _lognormal_ns(rng, n, 3 * 3600, 1.2, 5 * 86400)
            u &= pl.subs.can_change(r, ch, t_all)
            t_u = t_all[u]
            sink.add(t_u, unsub_t, r[u], ch, li, ci)
            pl.subs.change(r[u], ch, t_u, UNSUBSCRIBED)
            changed |= u
        complain_t = role_type(name, "complain")
        if complain_t != NO_TYPE:
            rate = COMPLAIN_RATE.get(name, DEFAULT_COMPLAIN_RATE)
            c = may_change & ~changed & (rng.random(n) < rate)
            t_all = t_d + _lognormal_ns(rng, n, 86400, 0.8, 6 * 86400)
            c &= pl.subs.can_change(r, ch, t_all)
            t_c = t_all[c]
            sink.add(t_c, complain_t, r[c], ch, li, ci)
            pl.subs.change(r[c], ch, t_c, COMPLAINER)
        if name == "email":
            rp = rng.random(n) < REPLY_RATE
            t_r = t_d[rp] + _lognormal_ns(rng, int(rp.sum()), 5 * 3600, 1.0, 5 * 86400)
            sink.add(t_r, ET["reply"], r[rp], ch, li, ci)

    def _dwell(self, name, ch, li, ci, o_r, o_t, base_flag) -> None:
        """read / skimmed / glanced after email opens (how long the message stayed open)."""
        kinds = [
            (role_type(name, role), w)
            for role, w in (("read", 0.5), ("skim", 0.25), ("glance", 0.25))
        ]
        kinds = [(k, w) for k, w in kinds if k != NO_TYPE]
        if not kinds:
            return
        rng = self.pl.rng
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
        self.pl.sink.add(t, types[pick], o_r[has], ch, li, ci, flags=base_flag)

    def _promo(self, camp: Campaign, launch: Launch, who: np.ndarray, t_send: np.ndarray) -> None:
        """Promo-code campaigns attach a code to each recipient just before the send."""
        pl = self.pl
        rng = pl.rng
        li, ci = launch.index, camp.index
        chan = pl.primary_chan(who)
        codes = rng.integers(0, 1 << 30, who.size)
        t_att = t_send - rng.integers(1 * SEC, 20 * SEC, who.size)
        pl.sink.add(t_att, ET["promocode_attach"], who, chan, li, ci, aux=codes, aux2=1)
        act = rng.random(who.size) < 0.03
        t_act = t_send[act] + (rng.exponential(3 * 86400, int(act.sum())) * SEC).astype(np.int64)
        pl.sink.add(
            t_act, ET["promocode_activate"], who[act], chan[act], li, ci, aux=codes[act], aux2=1
        )
        det = ~act & (rng.random(who.size) < 0.015)
        t_det = t_send[det] + (rng.uniform(1, 10, int(det.sum())) * DAY).astype(np.int64)
        pl.sink.add(
            t_det, ET["promocode_detach"], who[det], chan[det], li, ci, aux=codes[det], aux2=1
        )
