"""The planner: walks the window day by day and decides every event as integer columns.

It is sequential (statuses carry over from day to day) but cheap: all per-recipient work is
vectorised. A day's table is complete once that day is planned, because nothing planned later
happens earlier; the serializer (`orchestration.generate.serialize`) then turns it into JSON,
possibly in another process.

Volume control: the target number of original events is spread over the days (weekends
lighter); each day's budget is what is still missing against the running target, so the total
lands close to the request. Events per send are learned per channel as the days go by.
"""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import CH, CHANNELS, DAY, HOUR, N_CHANNELS, SEC
from orchestration.generate.plan.day_start import day_start
from orchestration.generate.plan.events import DayTable, EventSink, Launch
from orchestration.generate.plan.families import family_total_share, run_families
from orchestration.generate.plan.launches import run_launch
from orchestration.generate.plan.state import PlanState
from orchestration.generate.plan.status import SubscriptionState
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import Campaign, World

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

LaunchPlan = tuple[int, int, Campaign, int, str]
"""(start ns, order of planning, campaign, audience size, kind) of a launch to run."""


class Planner:
    """Plans the days of one run in order (`plan_day(0)`, `plan_day(1)`, ...)."""

    def __init__(self, world: World, events: int, duplicate_rate: float) -> None:
        p = world.profiles
        self.state = PlanState(
            world=world,
            rng=np.random.default_rng(np.random.SeedSequence([world.seed, 2])),
            sink=EventSink(world.start_ns, world.days),
            subs=SubscriptionState(p.status0, world.start_ns, world.days),
            gcg=p.gcg0.copy(),
        )
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

    def plan_day(self, d: int) -> tuple[DayTable, dict[int, Launch]]:
        """The events of day d (with each event's subscription status) and the launches
        they refer to, by launch number."""
        st = self.state
        day_t0 = st.world.start_ns + d * DAY
        budget = max(0.0, float(self.cum_target[d]) - st.sink.kept)
        day_start(st, day_t0)
        run_families(st, d, day_t0, budget)
        self._campaigns(day_t0, budget * (1.0 - self.family_share))
        table = st.sink.take(d)
        cols = table.cols
        status = np.full(len(table), -1, dtype=np.int8)
        has = (cols["prof"] >= 0) & (cols["chan"] >= 0)
        if has.any():
            status[has] = st.subs.lookup(cols["prof"][has], cols["chan"][has], cols["t"][has])
        cols["status"] = status
        used = np.unique(cols["launch"])
        launches = {int(i): st.launches[int(i)] for i in used if i >= 0}
        return table, launches

    def _round(self, x: float) -> int:
        """x rounded up or down at random, in proportion (the expectation is x)."""
        whole = int(x)
        return whole + int(self.state.rng.random() < x - whole)

    def _campaigns(self, day_t0: int, budget: float) -> None:
        """Plan the day's launches per account and channel, then run them in time order."""
        st = self.state
        plans = sorted(self._launch_plans(day_t0, budget), key=lambda x: (x[0], x[1]))
        for t0, _, camp, size, kind in plans:
            before = st.sink.kept
            n = run_launch(st, camp, t0, size, kind=kind)
            c = camp.channel
            self.sent[c] += n
            self.produced[c] += st.sink.kept - before
            if self.sent[c] >= 200:
                self.eps[c] = max(1.2, self.produced[c] / self.sent[c])

    def _launch_plans(self, day_t0: int, budget: float) -> list[LaunchPlan]:
        """Trigger runs and regular launches sized to the day's budget of sends."""
        rng = self.state.rng
        world = self.state.world
        plans: list[LaunchPlan] = []
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
        return plans
