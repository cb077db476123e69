"""Drawing the profiles: which list and channels each has, statuses, dates, personal data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

import orchestration.generate.reference as ref
from orchestration.generate.constants import (
    CH,
    COMPLAINER,
    DAY,
    HARDBOUNCED,
    INVALID,
    N_CHANNELS,
    SUBSCRIBED,
    SUSPENDED,
    UNCONFIRMED,
    UNSUBSCRIBED,
    role_type,
)
from orchestration.generate.world.accounts import ACCOUNTS, ListSpec
from orchestration.generate.world.model import Profiles

CHANNEL_REACH = {
    "email": 0.92, "sms": 0.55, "push": 0.30, "telegram_bot": 0.14, "telegram_group": 0.08,
    "whatsapp": 0.20, "viber": 0.14, "notify": 0.12,
}  # fmt: skip
"""Share of profiles holding a subscription on each channel (where the account has it)."""

INITIAL_STATUS = (
    (SUBSCRIBED, 0.87), (UNSUBSCRIBED, 0.06), (COMPLAINER, 0.006), (HARDBOUNCED, 0.016),
    (UNCONFIRMED, 0.016), (SUSPENDED, 0.016), (INVALID, 0.016),
)  # fmt: skip


def profile_count(events: int) -> int:
    """Profiles scale with volume: about 16 sends a month per profile across channels."""
    return int(min(400_000, max(150, events // 28)))


def _weights(pairs: Sequence[tuple[int, float]]) -> tuple[list[int], np.ndarray]:
    """(values, normalised weights) of (value, weight) pairs."""
    values = [p[0] for p in pairs]
    w = np.array([p[1] for p in pairs], dtype=float)
    return values, w / w.sum()


def build_profiles(
    rng: np.random.Generator,
    n: int,
    lists: list[tuple[int, ListSpec]],
    start_ns: int,
    days: int,
) -> Profiles:
    """`n` profiles spread over `lists` ((account index, list) pairs)."""
    weights = np.array([ACCOUNTS[a].share * spec.share for a, spec in lists])
    list_index = rng.choice(len(lists), size=n, p=weights / weights.sum()).astype(np.int16)
    # every list gets at least a handful of profiles, whatever n is
    for li in range(len(lists)):
        list_index[li * 8 : li * 8 + 8] = li
    account = np.array([lists[li][0] for li in list_index], dtype=np.int8)

    internal = np.zeros(n, dtype=bool)
    for li in range(len(lists)):
        internal[np.flatnonzero(list_index == li)[:2]] = True

    has = np.zeros((n, N_CHANNELS), dtype=bool)
    for name, c in CH.items():
        enabled = np.array([name in ACCOUNTS[a].channels for a in range(len(ACCOUNTS))])
        has[:, c] = (rng.random(n) < CHANNEL_REACH.get(name, 0.1)) & enabled[account]
        has[internal, c] = enabled[account[internal]]
    nothing = ~(has[:, CH["email"]] | has[:, CH["sms"]])
    has[nothing, CH["email"]] = True

    statuses, sw = _weights(INITIAL_STATUS)
    status0 = np.array(statuses, dtype=np.int8)[
        rng.choice(len(statuses), size=(n, N_CHANNELS), p=sw)
    ]
    for name, c in CH.items():
        col = status0[:, c]
        if role_type(name, "complain") < 0:
            col[col == COMPLAINER] = UNSUBSCRIBED
        if role_type(name, "hard_bounce") < 0:
            col[col == HARDBOUNCED] = UNSUBSCRIBED
        if name != "email":
            col[col == UNCONFIRMED] = SUBSCRIBED
        col[internal] = SUBSCRIBED

    created = np.full(n, start_ns - 400 * DAY, dtype=np.int64)
    created_via = np.zeros(n, dtype=np.int8)
    fresh = (rng.random(n) < 0.04) & ~internal
    created[fresh] = start_ns + (rng.random(int(fresh.sum())) * days * DAY).astype(np.int64)
    via_popup = fresh & (rng.random(n) < 0.4)
    created_via[fresh] = 1
    created_via[via_popup] = 2
    # a profile created through a pop-up form starts with an unconfirmed email subscription
    has[via_popup, CH["email"]] = True
    status0[fresh] = SUBSCRIBED
    status0[via_popup, CH["email"]] = UNCONFIRMED

    deleted = (rng.random(n) < 0.005) & ~internal
    gcg0 = (rng.random(n) < 0.025) & ~internal
    loyalty = rng.random(n) < 0.3
    suppressed = (rng.random(n) < 0.008) & ~internal & has[:, CH["email"]]

    primary = np.full(n, -1, dtype=np.int8)
    for name in ("sms", "email"):
        primary[has[:, CH[name]]] = CH[name]

    geos, gw = _weights(tuple((i, g.weight) for i, g in enumerate(ref.GEOS)))
    webs, ww = _weights(tuple((i, a.weight) for i, a in enumerate(ref.WEB_AGENTS)))
    apps, aw = _weights(tuple((i, a.weight) for i, a in enumerate(ref.APP_AGENTS)))
    doms, dw = _weights(tuple((i, d[1]) for i, d in enumerate(ref.EMAIL_DOMAINS)))
    provs, pw = _weights(tuple((i, d[1]) for i, d in enumerate(ref.PUSH_PROVIDERS)))
    created_s = np.maximum(created // 1_000_000_000, 1_600_000_000)
    return Profiles(
        n=n,
        account=account,
        list_index=list_index,
        has=has,
        status0=status0,
        created=created,
        created_via=created_via,
        deleted=deleted,
        internal=internal,
        gcg0=gcg0,
        loyalty=loyalty,
        suppressed=suppressed,
        primary=primary,
        geo=rng.choice(len(geos), size=n, p=gw).astype(np.int16),
        web_agent=rng.choice(len(webs), size=n, p=ww).astype(np.int16),
        app_agent=rng.choice(len(apps), size=n, p=aw).astype(np.int16),
        domain=rng.choice(len(doms), size=n, p=dw).astype(np.int16),
        first=rng.integers(0, len(ref.FIRST_NAMES), n).astype(np.int16),
        last=rng.integers(0, len(ref.LAST_NAMES), n).astype(np.int16),
        style=rng.integers(0, 4, n).astype(np.int8),
        key=rng.integers(0, 2**63 - 1, n, dtype=np.int64),
        oid_ts=(created_s - rng.integers(0, 3 * 365 * 86400, n) * (~fresh)).astype(np.int64),
        ip=rng.integers(1, 2**16 - 1, n).astype(np.int32),
        provider=rng.choice(len(provs), size=n, p=pw).astype(np.int8),
        chat=rng.integers(100_000_000, 7_999_999_999, n, dtype=np.int64),
        phone=rng.integers(0, 10_000_000, n, dtype=np.int64),
    )
