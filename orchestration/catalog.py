"""The event catalog: one row per Altcraft action-hook event type.

The catalog's single source is the dbt seed `seeds/event_catalog.csv`, built from the
customer's event-types document (`docs/action-hook-event-types.md`). dbt loads it as a
seed; Python reads the same file here. Adding an event type is one line in that file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.paths import REPO_ROOT

CATALOG_PATH = REPO_ROOT / "seeds" / "event_catalog.csv"

ROLES = (
    "send", "deliver", "undeliver", "hard_bounce", "soft_bounce", "suppress", "open",
    "unique_open", "click", "unique_click", "read", "skim", "glance", "unsubscribe",
    "complain", "subscribe", "none",
)  # fmt: skip
"""What an event means for campaign metrics; `none` when it counts in no funnel step."""

STATUSES = (
    "subscribed", "unsubscribed", "complainer", "hardbounced", "unconfirmed", "suspended",
    "invalid",
)  # fmt: skip
"""Subscription statuses, lower case as on the wire (contract section 5)."""

FAMILIES = (
    "email", "sms", "push", "telegram_bot", "telegram_group", "whatsapp", "viber", "notify",
    "popup", "loyalty", "promocode", "static_segment", "campaign_audience", "gcg",
    "profile_import", "profile_merge_split", "campaign_launch", "campaign_error", "pixel",
    "api_unsubscribe",
)  # fmt: skip
"""The event families of contract section 4, one `core.fct_<family>_events` each."""


@dataclass(frozen=True)
class EventType:
    """One catalog row."""

    event_type: str
    interface_name: str
    description: str
    family: str
    channel: str | None
    role: str
    sets_status: str | None


@cache
def load_catalog(path: Path = CATALOG_PATH) -> tuple[EventType, ...]:
    """Read the seed; empty cells become None."""
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple(
            EventType(
                event_type=row["event_type"],
                interface_name=row["interface_name"],
                description=row["description"],
                family=row["family"],
                channel=row["channel"] or None,
                role=row["role"],
                sets_status=row["sets_status"] or None,
            )
            for row in csv.DictReader(handle)
        )


def by_type() -> dict[str, EventType]:
    """The catalog keyed by event type."""
    return {entry.event_type: entry for entry in load_catalog()}


def types_where(
    *, family: str | None = None, channel: str | None = None, role: str | None = None
) -> list[str]:
    """Event types matching every given attribute, in catalog order."""
    return [
        entry.event_type
        for entry in load_catalog()
        if (family is None or entry.family == family)
        and (channel is None or entry.channel == channel)
        and (role is None or entry.role == role)
    ]
