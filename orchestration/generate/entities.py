"""The simulated platform: accounts, databases (lists), resources, campaigns and profiles.

Everything is derived from the seed, so the main process and every worker can rebuild the
same world. Profiles are columnar (numpy arrays); their strings (ids, hashes, addresses) are
computed on demand by `ProfileStrings`, which keeps memory flat however many profiles exist.

Identity of a profile: `profile_id` is a 24-hex ObjectId (creation time + random part),
`_xxh` the xxh64 of its email (of its phone when it has no email), `_md5` the MD5 of the
same. Internal profiles (QA mailboxes of each account) receive the test sends; they are never
in a campaign audience.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import xxhash

from orchestration.generate import reference as ref
from orchestration.generate.constants import (
    CH,
    CHANNELS,
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


@dataclass(frozen=True)
class ListSpec:
    """A profile database (`list_id`) and the resource its subscriptions live in."""

    list_id: int
    resource_id: int
    share: float


@dataclass(frozen=True)
class AccountSpec:
    """One Altcraft account and how its hook reaches us.

    `producer` is the transport of its hook: `kafka` (NDJSON, doc key order, `Z` times),
    `rmq` (JSON Lines, sorted keys, optional keys sent as null, some `+03:00` times) or `http`
    (batch bodies, the docs' example key order, microsecond times). `platform` is the envelope
    version: 73 has no `subscription` array (hook-message-format section 1.3).
    """

    account_id: int
    name: str
    share: float
    producer: str
    platform: int
    channels: tuple[str, ...]
    lists: tuple[ListSpec, ...]
    campaign_base: int
    message_base: int
    site: str


ACCOUNTS: tuple[AccountSpec, ...] = (
    AccountSpec(
        23, "Northwind Retail", 0.55, "kafka", 75, CHANNELS,
        (ListSpec(111, 3, 0.7), ListSpec(112, 4, 0.3)), 973, 17, "https://www.northwind-shop.example",
    ),
    AccountSpec(
        161, "Contoso Travel", 0.33, "rmq", 74,
        tuple(c for c in CHANNELS if c != "telegram_group"),
        (ListSpec(50, 12, 1.0),), 130, 5, "https://contoso-travel.example",
    ),
    AccountSpec(
        1042, "Fabrikam Books", 0.12, "http", 73,
        tuple(c for c in CHANNELS if c in ("email", "sms", "push")),
        (ListSpec(7, 2, 1.0),), 41, 3, "https://fabrikam-books.example",
    ),
)  # fmt: skip

CHANNEL_REACH = {
    "email": 0.92, "sms": 0.55, "push": 0.30, "telegram_bot": 0.14, "telegram_group": 0.08,
    "whatsapp": 0.20, "viber": 0.14, "notify": 0.12,
}  # fmt: skip
"""Share of profiles holding a subscription on each channel (where the account has it)."""

INITIAL_STATUS = (
    (SUBSCRIBED, 0.87), (UNSUBSCRIBED, 0.06), (COMPLAINER, 0.006), (HARDBOUNCED, 0.016),
    (UNCONFIRMED, 0.016), (SUSPENDED, 0.016), (INVALID, 0.016),
)  # fmt: skip


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
    """Columnar profile attributes; index = profile number."""

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
    seed: int
    start_ns: int
    days: int
    accounts: tuple[AccountSpec, ...]
    lists: tuple[tuple[int, ListSpec], ...]
    campaigns: tuple[Campaign, ...]
    profiles: Profiles
    members: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    internal_of: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.days * DAY

    def campaigns_of(self, account: int, channel: int, kind: str) -> list[Campaign]:
        return [
            c
            for c in self.campaigns
            if c.account == account and c.channel == channel and c.kind == kind
        ]


def _weights(pairs: tuple) -> tuple[list, np.ndarray]:
    values = [p[0] for p in pairs]
    w = np.array([p[1] for p in pairs], dtype=float)
    return values, w / w.sum()


def profile_count(events: int) -> int:
    """Profiles scale with volume: about 16 sends a month per profile across channels."""
    return int(min(400_000, max(150, events // 28)))


def build_world(seed: int, events: int, days: int, start_ns: int) -> World:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    lists: list[tuple[int, ListSpec]] = []
    for a, acc in enumerate(ACCOUNTS):
        for spec in acc.lists:
            lists.append((a, spec))
    profiles = _build_profiles(rng, profile_count(events), lists, start_ns, days)
    campaigns = _build_campaigns(rng, lists)
    world = World(seed, start_ns, days, ACCOUNTS, tuple(lists), tuple(campaigns), profiles)
    p = profiles
    for li in range(len(lists)):
        in_list = (p.list_index == li) & ~p.internal
        for c in range(N_CHANNELS):
            world.members[(li, c)] = np.flatnonzero(in_list & p.has[:, c]).astype(np.int32)
    for a in range(len(ACCOUNTS)):
        world.internal_of[a] = np.flatnonzero(p.internal & (p.account == a)).astype(np.int32)
    return world


def _build_profiles(
    rng: np.random.Generator,
    n: int,
    lists: list[tuple[int, ListSpec]],
    start_ns: int,
    days: int,
) -> Profiles:
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


def _build_campaigns(rng: np.random.Generator, lists: list[tuple[int, ListSpec]]) -> list[Campaign]:
    campaigns: list[Campaign] = []
    next_id = {a: acc.campaign_base for a, acc in enumerate(ACCOUNTS)}
    next_msg = {a: acc.message_base for a, acc in enumerate(ACCOUNTS)}

    def add(a: int, li: int, c: int, kind: str, name: str, **flags: bool) -> None:
        acc = ACCOUNTS[a]
        cid = next_id[a]
        next_id[a] += int(rng.integers(1, 6))
        n_msg = 2 if (kind == "regular" and rng.random() < 0.3) else 1
        msgs = tuple(next_msg[a] + k for k in range(n_msg))
        next_msg[a] += n_msg + int(rng.integers(0, 3))
        n_links = int(rng.integers(1, 5))
        paths = rng.choice(len(ref.LINK_PATHS), size=n_links, replace=False)
        links = tuple(
            f"{acc.site}{ref.LINK_PATHS[int(k)].format(c=cid)}?utm_source=altcraft"
            f"&utm_medium={CHANNELS[c]}&utm_campaign={cid}"
            for k in paths
        )
        campaigns.append(
            Campaign(
                index=len(campaigns),
                campaign_id=cid,
                account=a,
                list_index=li,
                channel=c,
                kind=kind,
                name=name,
                message_ids=msgs,
                segment_id=0 if rng.random() < 0.4 else int(rng.integers(1, 40)),
                links=links,
                is_static=bool(rng.random() < 0.3),
                audience=flags.get("audience", False),
                promo=flags.get("promo", False),
                confirm=flags.get("confirm", False),
                open_rate=float(rng.uniform(0.22, 0.36)),
                click_rate=float(rng.uniform(0.026, 0.040)),
            )
        )

    for li, (a, _spec) in enumerate(lists):
        acc = ACCOUNTS[a]
        first_list = lists.index(next(x for x in lists if x[0] == a)) == li
        for name in acc.channels:
            c = CH[name]
            n_regular = 6 if name == "email" else 3
            for k in range(n_regular):
                topic = ref.CAMPAIGN_TOPICS[int(rng.integers(0, len(ref.CAMPAIGN_TOPICS)))]
                mass = name in ("email", "sms", "push")
                add(
                    a, li, c, "regular", f"{topic} ({name})",
                    audience=mass and k == 1 and (name == "email" or rng.random() < 0.5),
                    promo=name == "email" and (k == 2 or rng.random() < 0.15),
                    confirm=name == "email" and (k == 3 or rng.random() < 0.1),
                )  # fmt: skip
            if name in ("email", "sms", "push", "whatsapp", "viber", "notify", "telegram_bot"):
                topic = ref.TRIGGER_TOPICS[int(rng.integers(0, len(ref.TRIGGER_TOPICS)))]
                add(a, li, c, "trigger", f"{topic} ({name})")
        if first_list:
            add(a, li, CH["email"], "doi", "Double opt-in confirmation")
    return campaigns


class ProfileStrings:
    """The string identity of profiles, computed on demand from the columnar attributes."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.p = world.profiles

    def identity(self, i: int) -> tuple[str, str, str, str | None, str | None]:
        """(profile_id, _xxh, _md5, email or None, phone or None)."""
        p = self.p
        key = int(p.key[i])
        profile_id = f"{int(p.oid_ts[i]) & 0xFFFFFFFF:08x}{key & 0xFFFFFFFFFFFFFFFF:016x}"
        email = self.email(i) if p.has[i, CH["email"]] else None
        phone = self.phone(i)
        basis = (email or phone).encode()
        return (
            profile_id,
            xxhash.xxh64_hexdigest(basis),
            hashlib.md5(basis).hexdigest(),
            email,
            phone if (p.has[i, CH["sms"]] or email is None) else None,
        )

    def email(self, i: int) -> str:
        p = self.p
        if p.internal[i]:
            site = ACCOUNTS[int(p.account[i])].site.split("//", 1)[1].removeprefix("www.")
            return f"qa{i}@{site}"
        first = ref.FIRST_NAMES[int(p.first[i])]
        last = ref.LAST_NAMES[int(p.last[i])]
        domain = ref.EMAIL_DOMAINS[int(p.domain[i])][0]
        style = int(p.style[i])
        if style == 0:
            local = f"{first}.{last}{i}"
        elif style == 1:
            local = f"{first[0]}{last}{i}"
        elif style == 2:
            local = f"{last}_{first}{i % 97}x{i}"
        else:
            local = f"{first}{i}"
        return f"{local}@{domain}"

    def phone(self, i: int) -> str:
        geo = ref.GEOS[int(self.p.geo[i])]
        digits = 11 if geo.phone_prefix[:2] in ("+7", "+1") else 12  # E.164 length, roughly
        tail_len = digits - (len(geo.phone_prefix) - 1)
        return f"{geo.phone_prefix}{int(self.p.phone[i]) % 10**tail_len:0{tail_len}d}"

    def ip(self, i: int) -> str:
        geo = ref.GEOS[int(self.p.geo[i])]
        v = int(self.p.ip[i])
        return f"{geo.ip_prefix}.{v >> 8 & 0xFF}.{v & 0xFF or 1}"

    def push_token(self, i: int) -> tuple[str, str]:
        key = int(self.p.key[i])
        provider = ref.PUSH_PROVIDERS[int(self.p.provider[i])][0]
        token = f"{key ^ 0x5DEECE66D:016x}{(key * 0x9E3779B1) & 0xFFFFFFFFFFFF:012x}"
        if provider.startswith("ios") and provider != "iosfirebase":
            return token + token[::-1], provider
        return f"{token[:11]}:APA91b{token[11:]}{token[:9]}", provider

    def subscription_hash(self, i: int, channel: int) -> str:
        key = int(self.p.key[i])
        mixed = (key ^ (channel + 1) * 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
        return f"{(mixed >> 11) & 0xFFFFFFFFFFFFF:013x}"
