"""Time units, channels, statuses and the event-type index, all derived from the catalog.

The generator works on integer codes in numpy arrays: an event type is its position in the
catalog (`ETYPES`), a channel its position in `CHANNELS`, a status its position in
`orchestration.catalog.STATUSES`. Nothing here lists event types by hand: every list is a
query on the catalog, so a type added to `seeds/event_catalog.csv` is picked up.
"""

from __future__ import annotations

from functools import cache

from orchestration.catalog import STATUSES, load_catalog, types_where

SEC = 1_000_000_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
MS = 1_000_000

ETYPES: tuple[str, ...] = tuple(entry.event_type for entry in load_catalog())
"""Every catalog event type, in catalog order; an event's type code is its index here."""

ET: dict[str, int] = {name: code for code, name in enumerate(ETYPES)}
FAMILY_OF: tuple[str, ...] = tuple(entry.family for entry in load_catalog())


def _channels() -> tuple[str, ...]:
    seen: list[str] = []
    for entry in load_catalog():
        if entry.channel and entry.channel not in seen:
            seen.append(entry.channel)
    return tuple(seen)


CHANNELS: tuple[str, ...] = _channels()
"""Message channels in catalog order (email, sms, push, telegram_bot, ...)."""

CH: dict[str, int] = {name: code for code, name in enumerate(CHANNELS)}
N_CHANNELS = len(CHANNELS)

ST: dict[str, int] = {name: code for code, name in enumerate(STATUSES)}
SUBSCRIBED = ST["subscribed"]
UNSUBSCRIBED = ST["unsubscribed"]
COMPLAINER = ST["complainer"]
HARDBOUNCED = ST["hardbounced"]
UNCONFIRMED = ST["unconfirmed"]
SUSPENDED = ST["suspended"]
INVALID = ST["invalid"]
REGISTERED_FROM = (UNSUBSCRIBED, COMPLAINER, HARDBOUNCED)
"""A change to subscribed registers an event only from one of these (event-types doc)."""

NO_TYPE = -1


@cache
def role_type(channel: str, role: str) -> int:
    """The type code of the channel's event with this role, or NO_TYPE if the channel has none."""
    names = types_where(channel=channel, role=role)
    return ET[names[0]] if names else NO_TYPE


def family_types(family: str) -> list[str]:
    """The event types of one family, in catalog order."""
    return types_where(family=family)
