"""The planner: walks the window day by day and decides every event as integer columns.

It is sequential (statuses carry over from day to day) but cheap: all per-recipient work is
vectorised. A day's table is complete once that day is planned, because nothing planned later
happens earlier; the serializer (`records.py`) then turns it into JSON, possibly in another
process.

Volume control: the target number of original events is spread over the days (weekends
lighter); each day's budget is what is still missing against the running target, so the total
lands close to the request. Events per send are learned per channel as the days go by.
"""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import CH, CHANNELS, DAY, HOUR, N_CHANNELS, SEC
from orchestration.generate.entities import ACCOUNTS, Campaign, World
from orchestration.generate.events import DayTable, EventSink
from orchestration.generate.families import Families, family_total_share
from orchestration.generate.funnels import Funnel, Launch, make_launch_id
from orchestration.generate.status import SubscriptionState

CHANNEL_SHARE = {
    "email": 0.48, "sms": 0.13, "push": 0.15, "telegram_bot": 0.05, "telegram_group": 0.03,
    "whatsapp": 0.06, "viber": 0.05, "notify": 0.05,
}  # fmt: skip
"""Share of sends per channel (renormalised over the channels an account has)."""

EVENTS_PER_SEND = {
    "email": 2.6, "sms": 2.1, "push": 2.5, "telegram_bot": 2.1, "telegram_group": 2.1,
    "whatsapp": 2.7, "viber": 2.7, "notify": 2.7,
}  # fmt: skip
"""Starting guesses; replaced by measured values once a channel has sent enough."""

TRIGGER_SHARE = 0.12
MIN_LAUNCH = 40
MIN_TRIGGER_RUN = 8
WEEKDAY_WEIGHT = (1.0, 1.05, 1.05, 1.0, 0.95, 0.8, 0.75)


class Planner:
    def __init__(self, world: World, events: int, duplicate_rate: float) -> None:
        self.world = world
        p = world.profiles
        self.rng = np.random.default_rng(np.random.SeedSequence([world.seed, 2]))
        self.sink = EventSink(world.start_ns, world.days)
        self.subs = SubscriptionState(p.status0, world.start_ns, world.days)
        self.gcg = p.gcg0.copy()
        self.launches: list[Launch] = []
        self.funnel = Funnel(self)
        self.families = Families(self)
        target = events / (1.0 + max(duplicate_rate, 0.0))
        first_weekday = int(((world.start_ns // DAY) + 3) % 7)  # 1970-01-01 was a Thursday
        weights = np.array(
            [WEEKDAY_WEIGHT[(first_weekday + d) % 7] for d in range(world.days)], dtype=float
        )
        self.cum_target = target * np.cumsum(weights) / weights.sum()
        self.eps = np.array([EVENTS_PER_SEND.get(c, 2.5) for c in CHANNELS])
        self.sent = np.zeros(N_CHANNELS)
        self.produced = np.zeros(N_CHANNELS)
        self.family_share = family_total_share()

    # ------------------------------------------------------------------ helpers for simulators

    def new_launch(self, camp: Campaign, ts: int, kind: str) -> Launch:
        account_id = ACCOUNTS[camp.account].account_id
        launch = Launch(
            index=len(self.launches),
            campaign=camp.index,
            ts=int(ts),
            launch_id=make_launch_id(account_id, camp.campaign_id, int(ts)),
            kind=kind,
        )
        self.launches.append(launch)
        return launch

    def primary_chan(self, prof: np.ndarray) -> np.ndarray:
        return self.world.profiles.primary[prof]

    def _round(self, x: float) -> int:
        whole = int(x)
        return whole + int(self.rng.random() < x - whole)

    # ------------------------------------------------------------------ the day

    def plan_day(self, d: int) -> tuple[DayTable, dict[int, Launch]]:
        day_t0 = self.world.start_ns + d * DAY
        budget = max(0.0, float(self.cum_target[d]) - self.sink.kept)
        self.families.day_start(d, day_t0, budget)
        self.families.run(d, day_t0, budget)
        self._campaigns(day_t0, budget * (1.0 - self.family_share))
        table = self.sink.take(d)
        cols = table.cols
        status = np.full(len(table), -1, dtype=np.int8)
        has = (cols["prof"] >= 0) & (cols["chan"] >= 0)
        if has.any():
            status[has] = self.subs.lookup(cols["prof"][has], cols["chan"][has], cols["t"][has])
        cols["status"] = status
        used = np.unique(cols["launch"])
        launches = {int(i): self.launches[int(i)] for i in used if i >= 0}
        return table, launches

    def _campaigns(self, day_t0: int, budget: float) -> None:
        rng = self.rng
        world = self.world
        plans: list[tuple[int, int, Campaign, int, str]] = []
        acc_w = np.array([a.share for a in ACCOUNTS])
        acc_w = acc_w / acc_w.sum()
        for a, acc in enumerate(ACCOUNTS):
            chans = [CH[c] for c in acc.channels]
            cw = np.array([CHANNEL_SHARE.get(CHANNELS[c], 0.03) for c in chans])
            cw = cw / cw.sum()
            for c, share in zip(chans, cw, strict=True):
                sends = budget * acc_w[a] * share / self.eps[c]
                triggers = world.campaigns_of(a, c, "trigger")
                regular = world.campaigns_of(a, c, "regular")
                if triggers:
                    trigger_sends = sends * TRIGGER_SHARE
                    sends -= trigger_sends
                    runs = min(3, self._round(trigger_sends / MIN_TRIGGER_RUN))
                    for k in range(runs):
                        t0 = day_t0 + int(rng.integers(6 * HOUR // SEC, 22 * HOUR // SEC)) * SEC
                        size = self._round(max(trigger_sends / runs, MIN_TRIGGER_RUN / 2))
                        plans.append((t0, len(plans), triggers[k % len(triggers)], size, "trigger"))
                if not regular or sends <= 0:
                    continue
                pop = np.mean([world.members[(x.list_index, c)].size for x in regular]) * 0.8
                k = int(np.clip(np.ceil(sends / max(0.45 * pop, 1.0)), 1, 8))
                if sends < MIN_LAUNCH:
                    # small volumes: launch on some days only, with a realistic audience size
                    k = int(rng.random() < sends / MIN_LAUNCH)
                    sends = MIN_LAUNCH
                for _ in range(k):
                    size = self._round(sends / k)
                    camp = regular[int(rng.integers(0, len(regular)))]
                    t0 = day_t0 + int(rng.integers(7 * HOUR // SEC, 21 * HOUR // SEC)) * SEC
                    plans.append((t0, len(plans), camp, size, "regular"))
        plans.sort(key=lambda x: (x[0], x[1]))
        for t0, _, camp, size, kind in plans:
            before = self.sink.kept
            n = self.funnel.launch(camp, t0, size, kind=kind)
            c = camp.channel
            self.sent[c] += n
            self.produced[c] += self.sink.kept - before
            if self.sent[c] >= 200:
                self.eps[c] = max(1.2, self.produced[c] / self.sent[c])
