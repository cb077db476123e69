"""The accounts of the simulated platform, their databases (lists) and their hooks."""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.generate.constants import CHANNELS


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
