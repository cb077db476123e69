"""`PlanState`: what the simulators share while the days are planned.

The planner owns one and passes it to every simulator (launches, sends, engagement, the other
families) instead of itself, so that no simulator depends on the planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orchestration.generate.plan.events import EventSink, Launch, make_launch_id
from orchestration.generate.plan.status import SubscriptionState
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import Campaign, Profiles, World


@dataclass
class PlanState:
    """The world, the planner's RNG, the output sink and the state that carries over days.

    `subs`: subscription status over time; `gcg`: GCG membership now (changed by the gcg
    family, read by launches); `launches`: every launch so far (an event's `launch` column is
    an index into it); `job_seq`: the last import job number.
    """

    world: World
    rng: np.random.Generator
    sink: EventSink
    subs: SubscriptionState
    gcg: np.ndarray
    launches: list[Launch] = field(default_factory=list)
    job_seq: int = 0

    @property
    def profiles(self) -> Profiles:
        return self.world.profiles

    def new_launch(self, camp: Campaign, ts: int, kind: str) -> Launch:
        """Register a run of `camp` started at `ts` (seconds)."""
        account_id = ACCOUNTS[camp.account].account_id
        launch = Launch(
            index=len(self.launches),
            ts=int(ts),
            launch_id=make_launch_id(account_id, camp.campaign_id, int(ts)),
            kind=kind,
        )
        self.launches.append(launch)
        return launch

    def primary_chan(self, prof: np.ndarray) -> np.ndarray:
        """The channel a profile's non-message events are about (sms or email)."""
        return self.world.profiles.primary[prof]

    def next_job(self) -> int:
        """A new import job number."""
        self.job_seq += 1
        return self.job_seq
