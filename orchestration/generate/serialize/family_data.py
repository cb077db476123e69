"""`event_data` of the families without message or campaign fields; all undocumented.

The generator invents these fields (**synthetic**, not confirmed by Altcraft):

* popup_*: `popup_id`, `popup_name`, `page_url`, `ip`, `user_agent`, plus `element`
  (click), `form_id` and `fields` (post, bounce), `error` (error, bounce), `custom_event`;
* loyalty: `loyalty_id`, `program_name`, `points`, `level` (+ `previous_level` on level
  changes), `order_id` for accruals/redemptions and their cancellations, `card_number` on
  registration;
* promocode_*: `promocode`, `promocode_id`, `pool_id`, `campaign_id` when issued by a
  campaign, `order_id` and `order_amount` on activation;
* pixel_open: `pixel_id`, `goal`, `value`, `url`, `referer`, `ip`, geo and agent fields,
  `campaign_id` for campaign conversions;
* import_*: `import_id`, `source`, `is_new_profile`, `file_name` (file imports);
* segs_*: `segment_id`, `segment_name`, `import_id`;
* profile_merge: `merge_id`, `merged_profile_ids`; profile_split: `split_id`,
  `split_profile_ids`;
* gcg_*: `gcg_id`, `reason`; unsub_api: `resource_id`, `channel`, `source`;
* `*_subscribe` (messengers, also messenger events without a campaign): `resource_id`,
  `channel`, `source`.

Every builder takes the same arguments (a row's fields, see `Builder`); `BUILDERS` maps a
kind (`kinds.KIND`) to its builder (those of campaign runs are in `campaign_data`),
`generic_data` serves a family without one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import orchestration.generate.reference as ref
from orchestration.generate.plan.events import Launch
from orchestration.generate.serialize.campaign_data import audience_data, error_data, launch_data
from orchestration.generate.serialize.lookups import Lookups
from orchestration.generate.serialize.message_data import geo_agent
from orchestration.generate.serialize.pieces import PIXEL_GOAL_CUM, PIXEL_GOAL_NAMES
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import Campaign

Builder = Callable[
    [Lookups, str, int, int, Campaign | None, Launch | None, int, int, int], dict[str, Any]
]
"""(lookups, type name, profile, channel, campaign, launch, aux, aux2, flags) -> event_data."""


def subscribe_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """A messenger subscription (or a messenger event without a campaign)."""
    channel = lk.channel_name[chan]
    return {
        "resource_id": lk.resource_id[lk.p_list[prof]],
        "channel": channel,
        "source": "bot_start" if channel == "telegram_bot" else "user",
    }


def _site(lk: Lookups, prof: int) -> str:
    """The website of the profile's account."""
    return ACCOUNTS[lk.p_account[prof]].site


def popup_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Pop-up events; `aux` picks the pop-up, `aux2` the element, error or custom event."""
    acct = lk.p_account[prof]
    popup = aux % len(ref.POPUP_NAMES)
    ed: dict[str, Any] = {
        "popup_id": 300 + acct * 20 + popup,
        "popup_name": ref.POPUP_NAMES[popup],
        "page_url": f"{_site(lk, prof)}/{('catalog', 'cart', 'blog', '')[prof % 4]}",
    }
    if name == "popup_click":
        ed["element"] = ref.POPUP_ELEMENTS[aux2 % len(ref.POPUP_ELEMENTS)]
    elif name in ("popup_post", "popup_bounce"):
        ed["form_id"] = 500 + acct * 20 + popup
        ident = lk.identity(prof)
        ed["fields"] = {"email": ident.email} if ident.email else {"phone": ident.phone}
        if name == "popup_bounce":
            ed["error"] = "502 Bad Gateway"
    elif name == "popup_error":
        ed["error"] = ref.POPUP_ERRORS[aux2 % len(ref.POPUP_ERRORS)]
    elif name == "popup_custom":
        ed["custom_event"] = ref.POPUP_CUSTOM[aux2 % len(ref.POPUP_CUSTOM)]
    ed["ip"] = lk.fragments(prof)[3]
    ed["user_agent"] = ref.WEB_AGENTS[lk.p_web[prof]].user_agent
    return ed


def loyalty_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Loyalty events; `aux` is the points, `aux2` the order number."""
    acct = lk.p_account[prof]
    levels = ref.LOYALTY_LEVELS
    level = lk.p_key[prof] % len(levels)
    ed: dict[str, Any] = {
        "loyalty_id": 10 + acct,
        "program_name": f"{ACCOUNTS[acct].name.split()[0]} Club",
    }
    if name in ("level_up", "level_down"):
        up = name == "level_up"
        old = min(level, len(levels) - 2) if up else max(level, 1)
        ed["level"] = levels[old + 1 if up else old - 1]
        ed["previous_level"] = levels[old]
        return ed
    ed["level"] = levels[level]
    if name == "loyalty_register":
        ed["card_number"] = f"{7000000000000 + lk.p_key[prof] % 10**12:013d}"
        ed["points"] = 100
        return ed
    if name == "loyalty_unregister":
        ed["reason"] = "customer_request"
        return ed
    ed["points"] = aux
    if name in (
        "points_accrual",
        "points_redeem",
        "points_cancel_accrual",
        "points_cancel_redeem",
    ):
        ed["order_id"] = f"ORD-{aux2}"
    return ed


def promocode_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Promo-code events; `aux` is the code's number."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    code = aux
    chars = []
    for _ in range(6):
        chars.append(alphabet[code % 32])
        code //= 32
    prefix = ("AUTUMN", "WELCOME", "VIP", "BOOK")[(aux >> 7) % 4]
    ed: dict[str, Any] = {
        "promocode": f"{prefix}-{''.join(chars)}",
        "promocode_id": 100_000 + aux % 900_000,
        "pool_id": 20 + aux % 5,
    }
    if camp is not None:
        ed["campaign_id"] = camp.campaign_id
    if name == "promocode_activate":
        ed["order_id"] = f"ORD-{10_000_000 + aux % 89_999_999}"
        ed["order_amount"] = round(5 + (aux % 50_000) / 100, 2)
    return ed


def pixel_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Pixel goals; `aux` picks goal, value and referer."""
    if camp is not None:
        goal = "purchase" if aux % 3 else "signup"
    else:
        u = (aux % 10_000) / 10_000
        goal = PIXEL_GOAL_NAMES[int(np.searchsorted(PIXEL_GOAL_CUM, u, side="right"))]
    ed: dict[str, Any] = {
        "pixel_id": 40 + lk.p_account[prof],
        "goal": goal,
        "value": round((aux % 30_000) / 100 + 3, 2) if goal == "purchase" else 0.0,
        "url": f"{_site(lk, prof)}/{'checkout/success' if goal == 'purchase' else 'catalog'}",
        "referer": ("https://www.google.com/", "https://yandex.ru/", "", "android-app://")[aux % 4],
    }
    if camp is not None:
        ed["campaign_id"] = camp.campaign_id
    geo_agent(lk, prof, flags, ed, True)
    return ed


def import_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Imports; `aux` is the import job, `aux2` 2 for a profile the import created."""
    source = name.removeprefix("import_")
    ed: dict[str, Any] = {
        "import_id": 7000 + aux,
        "source": source,
        "is_new_profile": aux2 == 2,
    }
    if source == "file":
        ed["file_name"] = f"customers_{aux:05d}.csv"
    return ed


def segment_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Static segments; `aux` is the segment, `aux2` the import job that filled it."""
    return {
        "segment_id": aux,
        "segment_name": f"Import #{7000 + aux2}",
        "import_id": 7000 + aux2,
    }


def merge_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Profile merges and splits; `aux` seeds the ids of the other profiles."""
    ids = []
    for k in range(2 + aux % 2):
        mixed = ((aux + k * 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
        ids.append(f"{0x64000000 + (mixed >> 40) % 0x3000000:08x}{mixed:016x}")
    if name == "profile_merge":
        return {"merge_id": aux % 10**9, "merged_profile_ids": ids}
    return {"split_id": aux % 10**9, "split_profile_ids": ids}


def gcg_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """GCG entries and exits; `aux` is the GCG."""
    return {"gcg_id": aux, "reason": "random_sample" if prof % 5 else "manual"}


def api_unsub_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """Unsubscribes through the API."""
    return {
        "resource_id": lk.resource_id[lk.p_list[prof]],
        "channel": lk.channel_name[chan] if chan >= 0 else None,
        "source": "api",
    }


def generic_data(
    lk: Lookups,
    name: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    flags: int,
) -> dict[str, Any]:
    """A family without a builder of its own."""
    ed: dict[str, Any] = {"value": aux}
    if camp is not None:
        ed["campaign_id"] = camp.campaign_id
    return ed


BUILDERS: dict[str, Builder] = {
    "subscribe": subscribe_data,
    "campaign_launch": launch_data,
    "campaign_error": error_data,
    "campaign_audience": audience_data,
    "popup": popup_data,
    "loyalty": loyalty_data,
    "promocode": promocode_data,
    "pixel": pixel_data,
    "profile_import": import_data,
    "static_segment": segment_data,
    "profile_merge_split": merge_data,
    "gcg": gcg_data,
    "api_unsubscribe": api_unsub_data,
}
