"""The world's dataclasses: campaigns, the columnar profiles and the `World` holding both.

Everything in a world is derived from the seed (`build.build_world`), so the main process and
every worker can rebuild the same one. Profiles are columnar (numpy arrays); their strings are
computed on demand by `strings.ProfileStrings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from orchestration.generate.world.accounts import ListSpec


@dataclass(frozen=True)
class Campaign:
    """One campaign. `kind`: regular (launched on some days), trigger (small daily runs) or
    doi (the double opt-in confirmation message, sent to unconfirmed email subscriptions)."""

    index: int
    campaign_id: int
    account: int
    list_index: int
    channel: int
    kind: str
    name: str
    message_ids: tuple[int, ...]
    segment_id: int
    links: tuple[str, ...]
    is_static: bool
    audience: bool
    promo: bool
    confirm: bool
    open_rate: float
    click_rate: float


@dataclass
class Profiles:
    """Columnar profile attributes; index = profile number.

    Identity of a profile: `profile_id` is a 24-hex ObjectId (creation time `oid_ts` + random
    `key`), `_xxh` the xxh64 of its email (of its phone when it has no email), `_md5` the MD5
    of the same. Internal profiles (QA mailboxes of each account) receive the test sends; they
    are never in a campaign audience.
    """

    n: int
    account: np.ndarray
    list_index: np.ndarray
    has: np.ndarray
    status0: np.ndarray
    created: np.ndarray
    created_via: np.ndarray
    deleted: np.ndarray
    internal: np.ndarray
    gcg0: np.ndarray
    loyalty: np.ndarray
    suppressed: np.ndarray
    primary: np.ndarray
    geo: np.ndarray
    web_agent: np.ndarray
    app_agent: np.ndarray
    domain: np.ndarray
    first: np.ndarray
    last: np.ndarray
    style: np.ndarray
    key: np.ndarray
    oid_ts: np.ndarray
    ip: np.ndarray
    provider: np.ndarray
    chat: np.ndarray
    phone: np.ndarray


@dataclass
class World:
    """The whole simulated platform of one run.

    `lists`: (account index, list) per list index; `members[(list, channel)]`: the
    non-internal profiles of a list holding a subscription on the channel; `internal_of[a]`:
    the internal profiles of account `a`.
    """

    seed: int
    start_ns: int
    days: int
    lists: tuple[tuple[int, ListSpec], ...]
    campaigns: tuple[Campaign, ...]
    profiles: Profiles
    members: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    internal_of: dict[int, np.ndarray] = field(default_factory=dict)

    def campaigns_of(self, account: int, channel: int, kind: str) -> list[Campaign]:
        return [
            c
            for c in self.campaigns
            if c.account == account and c.channel == channel and c.kind == kind
        ]
