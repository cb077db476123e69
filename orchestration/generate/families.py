"""Simulators of the families that are not message funnels.

Each family of the catalog (`orchestration.catalog.FAMILIES`) that is not a message channel,
`campaign_launch`, `campaign_error` or `campaign_audience` (those come from launches) has a
simulator here; a family added to the catalog without one gets `_generic`, which emits its
types for random profiles, so every catalog type shows up. Within a family the types come
from the catalog; names are used only where a type behaves specially.

Status rules of the event-types document are kept: events are registered only for changes to
subscribed, unsubscribed, complainer, hardbounced; a change to subscribed only from
unsubscribed, complainer or hardbounced (messenger `*_subscribe` events, or an import that
re-subscribes an email/SMS address). Changes to suspended, invalid (and back from suspended)
are silent: no event, but later events show the status. All status changes of a day are
decided at its start and happen between 00:00 and 06:00 UTC, before any launch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from orchestration.catalog import FAMILIES
from orchestration.generate import reference as ref
from orchestration.generate.constants import (
    CH,
    CHANNELS,
    DAY,
    ET,
    HOUR,
    INVALID,
    MS,
    N_CHANNELS,
    NO_TYPE,
    REGISTERED_FROM,
    SEC,
    SUBSCRIBED,
    SUSPENDED,
    UNSUBSCRIBED,
    family_types,
    role_type,
)
from orchestration.generate.entities import ACCOUNTS

if TYPE_CHECKING:
    from orchestration.generate.planner import Planner

CHANNEL_FAMILIES = frozenset(CHANNELS)
LAUNCH_FAMILIES = frozenset({"campaign_launch", "campaign_error", "campaign_audience"})

FAMILY_SHARE = {
    "popup": 0.035, "loyalty": 0.035, "pixel": 0.03, "profile_import": 0.015,
    "promocode": 0.012, "gcg": 0.002, "profile_merge_split": 0.002, "api_unsubscribe": 0.002,
    "static_segment": 0.0,
}  # fmt: skip
"""Share of a day's events per family; static segments ride on imports."""
GENERIC_SHARE = 0.002
RESUBSCRIBE_RATE = np.array(
    [0.004 if c in ("email", "sms") else 0.02 for c in CHANNELS], dtype=float
)
"""Daily chance that a lapsed subscription (unsubscribed, complainer, hardbounced) returns."""

LOYALTY_WEIGHTS = {
    "points_accrual": 0.42, "points_activate": 0.14, "points_redeem": 0.12, "points_expire": 0.05,
    "points_cancel_accrual": 0.03, "points_cancel_redeem": 0.02, "level_up": 0.06,
    "level_down": 0.02, "loyalty_register": 0.07, "loyalty_unregister": 0.015,
    "points_q_reset": 0.015,
}  # fmt: skip
PROMO_WEIGHTS = {"promocode_attach": 0.45, "promocode_activate": 0.35, "promocode_detach": 0.2}
IMPORT_WEIGHTS = {"import_file": 0.5, "import_api": 0.35, "import_manual": 0.15}
MERGE_WEIGHTS = {"profile_merge": 0.7, "profile_split": 0.3}
GCG_WEIGHTS = {"gcg_add": 0.6, "gcg_remove": 0.4}

HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3.5, 4.5, 5, 5, 5, 5, 5, 5, 5, 5.5, 6, 6.5, 6, 5, 3.5, 2],
    dtype=float,
)
HOUR_WEIGHTS /= HOUR_WEIGHTS.sum()


def family_total_share() -> float:
    total = 0.0
    for family in FAMILIES:
        if family in CHANNEL_FAMILIES or family in LAUNCH_FAMILIES:
            continue
        total += FAMILY_SHARE.get(family, GENERIC_SHARE)
    return total


def _weighted_types(family: str, weights: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    names = family_types(family)
    w = np.array([weights.get(n, 0.02) for n in names], dtype=float)
    return np.array([ET[n] for n in names], dtype=np.int16), w / w.sum()


class Families:
    def __init__(self, planner: Planner) -> None:
        self.pl = planner
        self.w = planner.world
        self.p = planner.world.profiles
        self.rng = planner.rng
        self.job_seq = 0
        self.simulators = {
            "popup": self._popup,
            "loyalty": self._loyalty,
            "promocode": self._promocode,
            "pixel": self._pixel,
            "profile_import": self._imports,
            "profile_merge_split": self._merge_split,
            "gcg": self._gcg,
            "api_unsubscribe": self._unsub_api,
            "static_segment": lambda d, t0, n: None,  # emitted by imports
        }

    # ------------------------------------------------------------------ helpers

    def _day_times(self, t0: int, n: int) -> np.ndarray:
        hours = self.rng.choice(24, size=n, p=HOUR_WEIGHTS)
        return t0 + hours * HOUR + self.rng.integers(0, HOUR, n)

    def _early_times(self, t0: int, n: int) -> np.ndarray:
        return t0 + self.rng.integers(0, 6 * HOUR, n)

    def _profiles_at(self, t: np.ndarray, pool: np.ndarray | None = None):
        """Random non-internal profiles that exist at the given times: (profiles, times)."""
        n = t.size
        if pool is None:
            prof = self.rng.integers(0, self.p.n, n)
        else:
            if pool.size == 0:
                return np.zeros(0, np.int64), np.zeros(0, np.int64)
            prof = pool[self.rng.integers(0, pool.size, n)]
        ok = (self.p.created[prof] <= t) & ~self.p.internal[prof]
        return prof[ok], t[ok]

    def _count(self, budget: float, share: float) -> int:
        return int(self.rng.poisson(max(budget * share, 0.0)))

    def _random_subs(self, k: int):
        """k random (profile, channel) pairs that exist, are not internal."""
        prof = self.rng.integers(0, self.p.n, k)
        chan = self.rng.integers(0, N_CHANNELS, k)
        ok = self.p.has[prof, chan] & ~self.p.internal[prof]
        prof, chan = prof[ok], chan[ok]
        key = prof * N_CHANNELS + chan
        _, first = np.unique(key, return_index=True)
        first.sort()
        return prof[first], chan[first]

    # ------------------------------------------------------------------ day start

    def day_start(self, d: int, t0: int, budget: float) -> None:
        """Silent churn and re-subscriptions, decided at t0, happening before 06:00."""
        pl = self.pl
        rng = self.rng
        subs = pl.subs
        n_subs = int(self.p.has.sum())
        # silent: subscribed -> suspended / invalid (0.04 % a day); suspended -> subscribed.
        # Draw three times the candidates, as most draws hit a subscription that does not
        # qualify, and keep a third of the qualifying ones.
        prof, chan = self._random_subs(int(rng.poisson(n_subs * 0.0012)) * 3)
        t = self._early_times(t0, prof.size)
        ok = subs.free(prof, chan, t0) & (self.p.created[prof] <= t0)
        cur = subs.current[prof, chan]
        down = ok & (cur == SUBSCRIBED)
        down_idx = np.flatnonzero(down)[: max(1, down.sum() // 3)]
        to_invalid = rng.random(down_idx.size) < 0.3
        for status, sel in ((SUSPENDED, down_idx[~to_invalid]), (INVALID, down_idx[to_invalid])):
            subs.change(prof[sel], chan[sel], t[sel], status)
        back = np.flatnonzero(ok & (cur == SUSPENDED) & (rng.random(prof.size) < 0.5))
        subs.change(prof[back], chan[back], t[back], SUBSCRIBED)

        # registered re-subscriptions: from unsubscribed / complainer / hardbounced only
        lapsed = np.isin(subs.current, REGISTERED_FROM) & self.p.has & (subs.since <= t0)
        lapsed &= ((self.p.created <= t0) & ~self.p.internal)[:, None]
        lapsed &= rng.random(lapsed.shape) < RESUBSCRIBE_RATE[None, :]
        prof, chan = np.nonzero(lapsed)
        t = self._early_times(t0, prof.size)
        sub_type = np.array(
            [role_type(c, "subscribe") if c != "email" else NO_TYPE for c in CHANNELS],
            dtype=np.int16,
        )
        via_import = np.isin(chan, [CH["email"], CH["sms"]])
        messenger = sub_type[chan] != NO_TYPE
        ev = messenger
        pl.sink.add(t[ev], sub_type[chan[ev]], prof[ev], chan[ev])
        subs.change(prof[ev], chan[ev], t[ev], SUBSCRIBED)
        imp = via_import
        if imp.any():
            job = self._next_job()
            pl.sink.add(t[imp], ET["import_api"], prof[imp], chan[imp], aux=job, aux2=1)
            subs.change(prof[imp], chan[imp], t[imp], SUBSCRIBED)

    def _next_job(self) -> int:
        self.job_seq += 1
        return self.job_seq

    # ------------------------------------------------------------------ the rest of the day

    def run(self, d: int, t0: int, budget: float) -> None:
        for family in FAMILIES:
            if family in CHANNEL_FAMILIES or family in LAUNCH_FAMILIES:
                continue
            sim = self.simulators.get(family, self._generic_for(family))
            sim(d, t0, self._count(budget, FAMILY_SHARE.get(family, GENERIC_SHARE)))
        self._created_profiles(d, t0)

    def _generic_for(self, family: str):
        def sim(d: int, t0: int, n: int) -> None:
            types = np.array([ET[x] for x in family_types(family)], dtype=np.int16)
            prof, t = self._profiles_at(self._day_times(t0, n))
            et = types[self.rng.integers(0, types.size, prof.size)]
            self.pl.sink.add(
                t,
                et,
                prof,
                self.pl.primary_chan(prof),
                aux=self.rng.integers(0, 1 << 30, prof.size),
            )

        return sim

    def _created_profiles(self, d: int, t0: int) -> None:
        """Profiles created today: an import event, or a pop-up form post + double opt-in."""
        p = self.p
        day = (p.created - self.w.start_ns) // DAY
        new = np.flatnonzero((day == d) & (p.created_via > 0))
        if new.size == 0:
            return
        t = p.created[new]
        imported = p.created_via[new] == 1
        types, w = _weighted_types("profile_import", IMPORT_WEIGHTS)
        if imported.any():
            prof = new[imported]
            et = types[self.rng.choice(types.size, size=prof.size, p=w)]
            jobs = (t[imported] - t0) // (4 * HOUR) + self.job_seq + 1
            self.job_seq += 6
            self.pl.sink.add(t[imported], et, prof, self.pl.primary_chan(prof), aux=jobs, aux2=2)
        popup = ~imported
        if popup.any():
            prof = new[popup]
            popups = self._popup_of(prof)
            self.pl.sink.add(t[popup], ET["popup_post"], prof, CH["email"], aux=popups, aux2=1)
            for a in range(len(ACCOUNTS)):
                mine = self.p.account[prof] == a
                doi = self.w.campaigns_of(a, CH["email"], "doi")
                if mine.any() and doi:
                    self.pl.funnel.doi(doi[0], prof[mine], t[popup][mine], t0)

    def _popup_of(self, prof: np.ndarray) -> np.ndarray:
        return (self.p.account[prof].astype(np.int64) * 7 + self.p.key[prof] % 3) % len(
            ref.POPUP_NAMES
        )

    def _popup(self, d: int, t0: int, n_events: int) -> None:
        rng = self.rng
        sink = self.pl.sink
        prof, t = self._profiles_at(self._day_times(t0, max(1, n_events // 2)))
        if prof.size == 0:
            return
        chan = self.pl.primary_chan(prof)
        popup = self._popup_of(prof)
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
        sink.add(
            after[err], ET["popup_error"], prof[err], chan[err], aux=popup[err], aux2=e_code[err]
        )
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
        handled = {
            "popup_open",
            "popup_close",
            "popup_click",
            "popup_post",
            "popup_bounce",
            "popup_error",
            "popup_custom",
        }
        others = [ET[x] for x in family_types("popup") if x not in handled]
        if others:
            rest = u >= 0.97
            sink.add(
                after[rest],
                np.array(others, np.int16)[rng.integers(0, len(others), int(rest.sum()))],
                prof[rest],
                chan[rest],
                aux=popup[rest],
            )

    def _loyalty(self, d: int, t0: int, n: int) -> None:
        rng = self.rng
        members = np.flatnonzero(self.p.loyalty & ~self.p.internal)
        types, w = _weighted_types("loyalty", LOYALTY_WEIGHTS)
        prof, t = self._profiles_at(self._day_times(t0, n), members)
        et = types[rng.choice(types.size, size=prof.size, p=w)]
        day = np.datetime64(self.w.start_ns + d * DAY, "ns").astype("datetime64[D]").item()
        if day.day == 1 and day.month in (1, 4, 7, 10) and "points_q_reset" in ET:
            # quarterly reset: a burst right after midnight
            burst, tb = self._profiles_at(
                t0 + rng.integers(0, 20 * 60 * SEC, min(members.size, n // 3 + 1)), members
            )
            prof = np.concatenate([prof, burst])
            t = np.concatenate([t, tb])
            et = np.concatenate([et, np.full(burst.size, ET["points_q_reset"], np.int16)])
        points = np.maximum(1, rng.lognormal(np.log(120), 1.0, prof.size)).astype(np.int64)
        order = rng.integers(10_000_000, 99_999_999, prof.size)
        self.pl.sink.add(t, et, prof, self.pl.primary_chan(prof), aux=points, aux2=order)

    def _promocode(self, d: int, t0: int, n: int) -> None:
        types, w = _weighted_types("promocode", PROMO_WEIGHTS)
        prof, t = self._profiles_at(self._day_times(t0, n))
        et = types[self.rng.choice(types.size, size=prof.size, p=w)]
        codes = self.rng.integers(0, 1 << 30, prof.size)
        self.pl.sink.add(t, et, prof, self.pl.primary_chan(prof), aux=codes, aux2=0)

    def _pixel(self, d: int, t0: int, n: int) -> None:
        types = family_types("pixel")
        prof, t = self._profiles_at(self._day_times(t0, n))
        t = t - t % MS  # browser clocks: millisecond precision
        et = np.array([ET[x] for x in types], np.int16)[self.rng.integers(0, len(types), prof.size)]
        self.pl.sink.add(
            t, et, prof, self.pl.primary_chan(prof), aux=self.rng.integers(0, 1 << 30, prof.size)
        )

    def _imports(self, d: int, t0: int, n: int) -> None:
        rng = self.rng
        sink = self.pl.sink
        types, w = _weighted_types("profile_import", IMPORT_WEIGHTS)
        remaining = n
        while remaining > 0:
            size = int(min(remaining, max(1, rng.lognormal(np.log(60), 1.2))))
            remaining -= size
            a = int(rng.integers(0, len(ACCOUNTS)))
            pool = np.flatnonzero(self.p.account == a)
            job_t = int(self._day_times(t0, 1)[0]) // SEC * SEC
            et = int(types[rng.choice(types.size, p=w)])
            job = self._next_job()
            t = job_t + np.cumsum(rng.integers(1 * MS, 25 * MS, size))
            prof, t = self._profiles_at(t, pool)
            prof, first = np.unique(prof, return_index=True)
            t = t[first]
            sink.add(t, et, prof, self.pl.primary_chan(prof), aux=job, aux2=0)
            if et != ET.get("import_api") and rng.random() < 0.6:
                seg_t = t + 2 * SEC
                segment = 1000 + job
                segs = family_types("static_segment")
                add = [ET[x] for x in segs if x == "segs_add"]
                if add:
                    sink.add(seg_t, add[0], prof, self.pl.primary_chan(prof), aux=segment, aux2=job)
                removal = [ET[x] for x in segs if x != "segs_add"]
                if removal:
                    rm = rng.random(prof.size) < 0.1
                    t_rm = seg_t[rm] + (rng.uniform(0.2, 12, int(rm.sum())) * DAY).astype(np.int64)
                    et_rm = np.array(removal, np.int16)[
                        rng.integers(0, len(removal), int(rm.sum()))
                    ]
                    sink.add(
                        t_rm, et_rm, prof[rm], self.pl.primary_chan(prof[rm]), aux=segment, aux2=job
                    )

    def _merge_split(self, d: int, t0: int, n: int) -> None:
        types, w = _weighted_types("profile_merge_split", MERGE_WEIGHTS)
        pool = np.flatnonzero(~self.p.deleted & ~self.p.internal)
        prof, t = self._profiles_at(self._day_times(t0, n), pool)
        et = types[self.rng.choice(types.size, size=prof.size, p=w)]
        self.pl.sink.add(
            t, et, prof, self.pl.primary_chan(prof), aux=self.rng.integers(0, 1 << 40, prof.size)
        )

    def _gcg(self, d: int, t0: int, n: int) -> None:
        """GCG entries and exits, before 06:00 so that launches see the new membership."""
        names = family_types("gcg")
        gcg = self.pl.gcg
        for name in names:
            share = GCG_WEIGHTS.get(name, 0.1)
            k = int(self.rng.binomial(n, share)) if n else 0
            pool = np.flatnonzero(gcg) if name == "gcg_remove" else None
            prof, t = self._profiles_at(self._early_times(t0, k), pool)
            prof, first = np.unique(prof, return_index=True)
            t = t[first]
            keep = gcg[prof] if name == "gcg_remove" else ~gcg[prof]
            prof, t = prof[keep], t[keep]
            self.pl.sink.add(
                t, ET[name], prof, self.pl.primary_chan(prof), aux=1 + self.p.account[prof]
            )
            if name == "gcg_add":
                gcg[prof] = True
            elif name == "gcg_remove":
                gcg[prof] = False

    def _unsub_api(self, d: int, t0: int, n: int) -> None:
        pl = self.pl
        prof, chan = self._random_subs(n * 2 + 1)
        t = self._early_times(t0, prof.size)
        ok = (
            pl.subs.free(prof, chan, t0)
            & (pl.subs.current[prof, chan] == SUBSCRIBED)
            & (self.p.created[prof] <= t0)
        )
        sel = np.flatnonzero(ok)[:n]
        for name in family_types("api_unsubscribe"):
            pl.sink.add(t[sel], ET[name], prof[sel], chan[sel])
        pl.subs.change(prof[sel], chan[sel], t[sel], UNSUBSCRIBED)
