"""Event histories for the event-sourcing property (tests/test_faults_event_sourcing.py).

A history is what lands over a few nights: hook events of every event type of the catalog,
built field by field as Altcraft sends them (docs/hook-message-format.md), together with
realistic ones from `hookhouse generate`; cut into nightly batches of landing files, in any
order, some events late (their event day days before the night that delivers them), some
delivered again in the same or a later night (byte for byte, keys reordered, whitespace or
escapes re-encoded), some whole files dropped again under another name. Hand-built events
take every choice from hypothesis, so a failure shrinks to a few events; generated ones
bring volume for one seed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from orchestration.catalog import STATUSES, load_catalog
from orchestration.generate import generate_dumps

BASE_DAY = date(2026, 10, 1)
UNKNOWN_TYPE = "custom_webhook_ping"
"""An event type the catalog lacks: kept, family `unknown` (contract section 4)."""
CATALOG = {entry.event_type: entry for entry in load_catalog()}
EVENT_TYPES = (*CATALOG, UNKNOWN_TYPE)
MESSAGING = ("email", "sms", "push", "telegram_bot", "telegram_group", "whatsapp", "viber")
MESSAGING_FAMILIES = frozenset((*MESSAGING, "notify"))
TRACKING_ROLES = frozenset(
    ("open", "unique_open", "click", "unique_click", "read", "skim", "glance", "unsubscribe")
)
CLICK_ROLES = frozenset(("click", "unique_click"))

ACCOUNTS = (23, 161)
PROFILES = ("66f66973096b3b454bbbccec", "6510b89040cd7e90b1a1cdac", "63cf7a5716a83579221ae8b9")
XXHS = ("ad1850e0d1d9481e", "b64735ce43691393", "46416a6fe15cff9c")
DOMAINS = ("gmail.com", "Mail.RU", "example.org")
CAMPAIGNS = (973, 974)
RESOURCES = (3, 12)
LINKS = ("https://shop.example/catalog", "https://shop.example/cart?utm_campaign=973")
CITIES = (("Moscow", 55.7522, 37.6156), ("Москва", 55.75, 37.62), ("Minsk", 53.9, 27.5667))
KEYS = ("profile", "profile", "xxh only", "deleted profile")
"""Which profile keys an event carries: both, `_xxh` alone, or nulls (historical export of a
deleted profile)."""
OFFSETS = (0, 0, 0, 180, -300)
"""UTC offsets of event_date in minutes: mostly `Z`; a local time can fall on another day."""
SUBSCRIPTION_STATUSES = ("subscribed", "subscribed", *STATUSES, "Unsubscribed")

ENCODINGS = ("same", "reordered", "spaced", "ascii", "reordered spaced")
"""How a redelivery spells the record: the same bytes, or the same JSON object re-encoded."""
FORMATS = ("ndjson", "json", "jsonl", "ndjson.gz", "json.gz")
ORDERS = ("as drawn", "shuffled", "reversed")
LATENESS = (0, 0, 0, 0, 0, 1, 2)
"""Nights an event arrives after the one its day belongs to (sampled: mostly on time)."""
COPIES = (0, 0, 0, 0, 0, 0, 1, 2)
"""How many more times an event is delivered."""
SHARES = (0.0, 0.1, 0.3)


@dataclass(frozen=True)
class LandingFile:
    """One landing file: its path under `landing/` and its bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class History:
    """The landing files of each night, and what they hold."""

    nights: tuple[tuple[LandingFile, ...], ...]
    events: int
    deliveries: int
    late: int
    redeliveries: int
    resent_files: int

    def summary(self) -> str:
        return (
            f"{len(self.nights)} nights, {self.events} events, {self.deliveries} deliveries "
            f"({self.late} late, {self.redeliveries} redelivered, {self.resent_files} files "
            "dropped again under another name)"
        )

    def __repr__(self) -> str:
        """The summary; each file's records too, once small (as a shrunk example is)."""
        lines = [f"History({self.summary()})"]
        if sum(len(file.data) for night in self.nights for file in night) < 6_000:
            for number, night in enumerate(self.nights):
                lines.append(f"night {number}:")
                for file in night:
                    data = gzip.decompress(file.data) if file.name.endswith(".gz") else file.data
                    lines.append(f"  {file.name}: {data.decode('utf-8')}")
        return "\n".join(lines)


def utc_day(record: dict[str, Any]) -> date:
    """The UTC day of an event: its bronze partition."""
    return datetime.fromisoformat(record["event_date"]).astimezone(UTC).date()


def _reordered(value: Any) -> Any:
    """The same JSON value with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(value)}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


def encode(record: dict[str, Any], encoding: str) -> str:
    """One line of JSON spelling `record` as `encoding` says (see ENCODINGS)."""
    value = _reordered(record) if "reordered" in encoding else record
    if "spaced" in encoding:
        return " " + json.dumps(value, ensure_ascii=False, separators=(" , ", " : ")) + "\t"
    if encoding == "ascii":
        return json.dumps(value, ensure_ascii=True)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@st.composite
def event_dates(draw: st.DrawFn, days: int) -> str:
    """An RFC 3339 event_date on one of `days` UTC days: 0 to 9 fractional digits, any offset."""
    instant = datetime.combine(BASE_DAY, time(), UTC) + timedelta(
        days=draw(st.integers(0, days - 1)), seconds=draw(st.integers(0, 86_399))
    )
    offset = draw(st.sampled_from(OFFSETS))
    local = instant.astimezone(timezone(timedelta(minutes=offset))).replace(tzinfo=None)
    digits = draw(st.integers(0, 9))
    fraction = f".{draw(st.integers(0, 10**9 - 1)):09d}"[: digits + 1] if digits else ""
    zone = "Z" if offset == 0 else f"{'+' if offset > 0 else '-'}{abs(offset) // 60:02d}:00"
    return f"{local.isoformat(timespec='seconds')}{fraction}{zone}"


def _launch_id(account: int, campaign: int, launch: int) -> str:
    return f"{account:08x}{campaign:08x}{0x6ABE2B3D + 86_400 * launch:08x}"


def _email(recipient: int) -> str:
    return f"user{recipient}@{DOMAINS[recipient]}"


def _messaging_data(
    draw: st.DrawFn, family: str, role: str, account: int, recipient: int
) -> dict[str, Any]:
    """event_data of a message event: the delivery fields, and tracking fields where the
    event is a reaction (docs/hook-message-format.md 3.1, 3.2)."""
    campaign, launch = draw(st.sampled_from(CAMPAIGNS)), draw(st.integers(0, 1))
    data: dict[str, Any] = {
        "message_id": 17 + CAMPAIGNS.index(campaign),
        "campaign_id": campaign,
        "segment_id": 0,
        "resource_id": draw(st.sampled_from(RESOURCES)),
        "launch_id": _launch_id(account, campaign, launch),
        "send_message_id": f"{launch}_{campaign:x}_{account:x}.{PROFILES[recipient]}",
    }
    if role in TRACKING_ROLES:
        city, lat, lon = draw(st.sampled_from(CITIES))
        data |= {"ip": f"10.9.0.{recipient}", "country": ".ru", "city": city, "lat": lat}
        data |= {"lon": lon, "device": draw(st.sampled_from(("web", "mobile")))}
    if role in CLICK_ROLES:
        data["link_url"] = draw(st.sampled_from(LINKS))
    if family == "push":
        data["extra_uid"] = f"ew4Sgf41Qwjq8_{recipient}"
    if role in ("hard_bounce", "soft_bounce") and family == "email":
        data["smtp_response"] = draw(st.sampled_from(("550 5.1.1 No such user", "452 4.2.2")))
    return data


def _money(draw: st.DrawFn) -> float | int:
    """Points or an amount: whole, or with cents (sums of these may carry float noise)."""
    return draw(
        st.one_of(st.integers(-500, 500), st.integers(-99_999, 99_999).map(lambda c: c / 100))
    )


def _event_data(
    draw: st.DrawFn, event_type: str, family: str, account: int, recipient: int
) -> dict[str, Any]:
    """event_data as the family carries it (the fields macros/fields.sql extracts)."""
    role = CATALOG[event_type].role if event_type in CATALOG else "none"
    campaign = draw(st.sampled_from(CAMPAIGNS))
    resource = draw(st.sampled_from(RESOURCES))
    launch = _launch_id(account, campaign, draw(st.integers(0, 1)))
    if family in MESSAGING_FAMILIES:
        return _messaging_data(draw, family, role, account, recipient)
    if family == "popup":
        data = {"popup_id": draw(st.sampled_from((300, 301))), "page_url": LINKS[0]}
        data |= {"popup_name": draw(st.sampled_from(("Exit intent", "Spin the wheel")))}
        extra = {"popup_click": "element", "popup_error": "error", "popup_custom": "custom_event"}
        if event_type in extra:
            data[extra[event_type]] = "cta_button"
        return data | {"form_id": 544, "ip": "82.102.250.57", "user_agent": "Mozilla/5.0"}
    if family == "loyalty":
        data = {"loyalty_id": draw(st.sampled_from((10, 12))), "program_name": "Northwind Club"}
        data |= {"points": _money(draw), "level": draw(st.sampled_from(("Bronze", "Gold")))}
        if event_type in ("level_up", "level_down"):
            data["previous_level"] = "Silver"
        return data | ({"order_id": "ORD-1"} if event_type.startswith("points_") else {})
    if family == "promocode":
        data = {"promocode": f"AUTUMN-{recipient}", "promocode_id": 676878 + recipient}
        data |= {"pool_id": 23, **({"campaign_id": campaign} if draw(st.booleans()) else {})}
        if event_type == "promocode_activate":
            data |= {"order_id": f"ORD-{recipient}", "order_amount": _money(draw)}
        return data
    if family == "pixel":
        data = {"pixel_id": 42, "goal": draw(st.sampled_from(("search", "card"))), "url": LINKS[1]}
        return data | {"value": _money(draw), "referer": "android-app://", "campaign_id": campaign}
    if family == "profile_import":
        data = {"import_id": 7001, "source": event_type.removeprefix("import_")}
        return data | {"is_new_profile": draw(st.booleans()), "file_name": "customers.csv"}
    if family == "static_segment":
        return {"segment_id": 1001, "segment_name": "Import #7001", "import_id": 7001}
    if family == "profile_merge_split":
        if event_type == "profile_merge":
            return {"merge_id": f"m{recipient}", "merged_profile_ids": list(PROFILES[:2])}
        return {"split_id": f"s{recipient}", "split_profile_ids": list(PROFILES[1:])}
    if family == "gcg":
        return {"gcg_id": 1, "reason": "global control group"}
    if family == "api_unsubscribe":
        return {
            "resource_id": resource,
            "channel": draw(st.sampled_from(MESSAGING)),
            "source": "api",
        }
    if family == "campaign_launch":
        data = {"campaign_id": campaign, "campaign_name": f"Autumn {campaign}", "launch_id": launch}
        data |= {"channel": draw(st.sampled_from(MESSAGING)), "resource_id": resource}
        return data | {"launch_type": "regular", "audience_size": draw(st.integers(0, 50))}
    if family == "campaign_error":
        data = {"campaign_id": campaign, "resource_id": resource, "message_id": 17}
        return data | {"launch_id": launch, "error_type": "template", "error": "bad {x}"}
    if family == "campaign_audience":
        data = {"campaign_id": campaign, "launch_id": launch, "resource_id": resource}
        groups = {"sc_test_group_assign": "test", "sc_control_group_assign": "control"}
        data |= {"group": groups[event_type]} if event_type in groups else {}
        return data | ({"gcg_id": 1} if event_type == "sc_gcg_suppress" else {"segment_id": 9})
    return {"campaign_id": campaign, "note": "an event type hookhouse does not know"}


@st.composite
def hook_events(draw: st.DrawFn, days: int) -> dict[str, Any]:
    """One hook event of any event type (and sometimes one missing from the catalog)."""
    event_type = draw(st.sampled_from(EVENT_TYPES))
    entry = CATALOG.get(event_type)
    family = entry.family if entry else "unknown"
    account = draw(st.sampled_from(ACCOUNTS))
    record: dict[str, Any] = {"event_type": event_type, "event_date": draw(event_dates(days))}
    record |= {"account_id": account, "is_test": draw(st.sampled_from((False,) * 5 + (True,)))}
    recipient = draw(st.integers(0, len(PROFILES) - 1))
    if family != "campaign_launch":  # a launch concerns no profile (3.6)
        keys = draw(st.sampled_from(KEYS))
        email = _email(recipient)
        deleted = keys == "deleted profile"
        record["profile_id"] = None if deleted or keys == "xxh only" else PROFILES[recipient]
        record["_xxh"] = None if deleted else XXHS[recipient]
        record["_md5"] = None if deleted else hashlib.md5(email.encode()).hexdigest()
        record |= {"list_id": 111, "custom_data": {"email": email}}
    record["event_data"] = _event_data(draw, event_type, family, account, recipient)
    elements = draw(st.sampled_from((1, 1, 1, 0, 2))) if family != "campaign_launch" else 0
    if elements:
        channel = (entry.channel if entry else None) or "email"
        record["subscription"] = [
            {
                "resource_id": draw(st.sampled_from(RESOURCES)),
                "channel": channel if number == 0 else "sms",
                "email": _email(recipient),
                "phone": f"+7999000000{recipient}",
                "priority": number + 1,
                "status": draw(st.sampled_from(SUBSCRIPTION_STATUSES)),
            }
            for number in range(elements)
        ]
    return record


@lru_cache(maxsize=64)
def generated_records(seed: int, events: int, days: int) -> tuple[str, ...]:
    """The NDJSON lines `hookhouse generate` writes for this seed (without its own duplicates,
    late events and malformed records: the history adds its own)."""
    if events == 0:
        return ()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        generate_dumps(
            out, events, seed, days=days, start=BASE_DAY, duplicate_rate=0.0, late_rate=0.0,
            malformed_rate=0.0, layout="ndjson",
        )  # fmt: skip
        paths = sorted(out.rglob("*.ndjson"))
        return tuple(line for path in paths for line in path.read_text().splitlines() if line)


def _pack(texts: list[str], fmt: str) -> bytes:
    """Records as one landing file of this format (an HTTP batch for `json`)."""
    body = "[" + ",\n".join(texts) + "]" if fmt.startswith("json.") or fmt == "json" else ""
    body = body or "".join(text + "\n" for text in texts)
    data = body.encode("utf-8")
    return gzip.compress(data, mtime=0) if fmt.endswith(".gz") else data


@st.composite
def night_files(draw: st.DrawFn, night: int, texts: list[str]) -> list[LandingFile]:
    """A night's deliveries in some order, cut into one to three files of any format."""
    order = draw(st.sampled_from(ORDERS))
    if order == "shuffled":
        random.Random(draw(st.integers(0, 2**32 - 1))).shuffle(texts)
    elif order == "reversed":
        texts.reverse()
    count = draw(st.integers(1, 3))
    cuts = sorted(draw(st.integers(0, len(texts))) for _ in range(count - 1))
    pieces = [texts[start:end] for start, end in zip([0, *cuts], [*cuts, len(texts)], strict=True)]
    return [
        LandingFile(f"night-{night}/hooks-{number}.{fmt}", _pack(piece, fmt))
        for number, piece in enumerate(pieces)
        if piece and (fmt := draw(st.sampled_from(FORMATS)))
    ]


@st.composite
def histories(
    draw: st.DrawFn, max_built: int = 60, generated: tuple[int, ...] = (0, 40, 120, 200)
) -> History:
    """A history of 2 or 3 nights over 2 to 6 UTC days (see the module's docstring)."""
    days, nights = draw(st.integers(2, 6)), draw(st.integers(2, 3))
    built = draw(st.lists(hook_events(days), max_size=max_built))
    lines = generated_records(draw(st.integers(0, 2**16)), draw(st.sampled_from(generated)), days)
    records = [(record, encode(record, "same")) for record in built]
    records += [(json.loads(line), line) for line in lines]
    # The nights take the UTC days in order, each about as many; a late event comes later.
    ordered = sorted({utc_day(record) for record, _ in records})
    on_time = {day: number * nights // len(ordered) for number, day in enumerate(ordered)}
    fates = random.Random(draw(st.integers(0, 2**32 - 1)))  # of the generated records
    late_share, copy_share = draw(st.sampled_from(SHARES)), draw(st.sampled_from(SHARES))
    deliveries: list[list[str]] = [[] for _ in range(nights)]
    late = redeliveries = 0
    for number, (record, text) in enumerate(records):
        if number < len(built):
            lateness = draw(st.sampled_from(LATENESS))
            copies = [
                (draw(st.integers(0, 2)), draw(st.sampled_from(ENCODINGS)))
                for _ in range(draw(st.sampled_from(COPIES)))
            ]
        else:
            lateness = fates.choice((1, 2)) if fates.random() < late_share else 0
            copies = [(fates.randint(0, 2), fates.choice(ENCODINGS))] * (
                fates.random() < copy_share
            )
        first = min(nights - 1, on_time[utc_day(record)] + lateness)
        late += first > on_time[utc_day(record)]
        deliveries[first].append(text)
        for delay, encoding in copies:
            again = text if encoding == "same" else encode(record, encoding)
            deliveries[min(nights - 1, first + delay)].append(again)
            redeliveries += 1
    files: list[tuple[LandingFile, ...]] = []
    resent = 0
    for night, texts in enumerate(deliveries):
        landed = draw(night_files(night, texts))
        earlier = [file for previous in files for file in previous]
        resend: bool = draw(st.booleans())
        if earlier and resend:  # a whole file again, under another name
            copied = draw(st.sampled_from(earlier))
            landed.append(
                LandingFile(f"night-{night}/resent-{Path(copied.name).name}", copied.data)
            )
            resent += 1
        files.append(tuple(landed))
    return History(
        tuple(files), len(records), sum(map(len, deliveries)), late, redeliveries, resent
    )
