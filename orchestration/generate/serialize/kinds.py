"""How each event type is serialized, from the catalog: its kind of event_data, which types
carry a link (clicks) and which a bounce text."""

from __future__ import annotations

import orchestration.generate.reference as ref
from orchestration.catalog import by_type
from orchestration.generate.constants import ETYPES

TRACKING_ROLES = frozenset(
    {
        "open",
        "unique_open",
        "click",
        "unique_click",
        "read",
        "skim",
        "glance",
        "unsubscribe",
        "subscribe",
    }
)
CLICK_ROLES = frozenset({"click", "unique_click"})
DOC_TRACKING_CHANNELS = frozenset({"email", "sms", "push"})

CATALOG = by_type()


def kind_of(name: str) -> str:
    """track (section 3.1 tracking data), delivery (message ids only) or the family.

    Opens and clicks are tracking events on every channel; reads, unsubscribes and
    confirmations only on email/SMS/push (the section 3.1 list). Messenger reads and
    unsubscribes carry the message ids, like delivery events.
    """
    entry = CATALOG[name]
    if entry.channel:
        if entry.role in CLICK_ROLES or entry.role in ("open", "unique_open"):
            return "track"
        if entry.channel in DOC_TRACKING_CHANNELS and (
            entry.role in TRACKING_ROLES or name == "confirm"
        ):
            return "track"
        return "delivery"
    return entry.family


KIND: tuple[str, ...] = tuple(kind_of(name) for name in ETYPES)
"""The kind of each type code."""
SLOW_KIND: tuple[bool, ...] = tuple(k == "campaign_launch" for k in KIND)
"""Types that always take the dict path (no profile fields at all)."""
NAME_B: tuple[bytes, ...] = tuple(name.encode() for name in ETYPES)
"""Each type code's name as bytes."""

CLICK_TYPES = frozenset(
    name for name in ETYPES if CATALOG[name].role in CLICK_ROLES or name == "confirm"
)
"""Types whose event_data has a `link_url`."""
BOUNCE_TEXT: dict[str, tuple[str, ...]] = {
    name: ref.BOUNCE_TEXT[
        ("push_" if CATALOG[name].channel == "push" else "")
        + ("soft" if CATALOG[name].role == "soft_bounce" else "hard")
    ]
    for name in ETYPES
    if CATALOG[name].role in ("soft_bounce", "hard_bounce")
}
"""The provider responses of each bounce type."""
