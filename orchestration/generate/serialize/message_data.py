"""`event_data` of message events: the fields of a send, delivery and tracking data.

Tracking events carry the section 3.1 fields (message ids, ip, geo, user agent, `link_url`
for clicks); delivery events `message_id`, `campaign_id`, `segment_id`, `resource_id`,
`launch_id`, `send_message_id` (+ `extra_uid` for push). Bounces add a **synthetic**
`smtp_response` (email) or `provider_response` (push).
"""

from __future__ import annotations

from typing import Any

import orchestration.generate.reference as ref
from orchestration.generate.plan.events import FLAG_APP, FLAG_PROXY, Launch
from orchestration.generate.serialize.kinds import BOUNCE_TEXT, CLICK_TYPES
from orchestration.generate.serialize.lookups import Lookups
from orchestration.generate.serialize.pieces import (
    APP_AGENT_DICTS,
    CHANNEL_EMAIL,
    CHANNEL_PUSH,
    EMPTY_GEO,
    GEO_DICTS,
    MOBILE_AGENTS,
    NO_GEO_EVERY,
    PROXY_AGENT,
    WEB_AGENT_DICTS,
)
from orchestration.generate.world.model import Campaign


def send_fields(lk: Lookups, prof: int, camp: Campaign, launch: Launch | None) -> dict[str, Any]:
    """The event_data shared by every event of one send."""
    lix = launch.index if launch is not None else -1
    msgs = camp.message_ids
    msg = msgs[(prof * 31 + max(lix, 0)) % len(msgs)]
    got: dict[str, Any] = {
        "message_id": msg,
        "campaign_id": camp.campaign_id,
        "segment_id": camp.segment_id,
        "resource_id": lk.resource_id[camp.list_index],
    }
    if launch is not None:
        got["launch_id"] = launch.launch_id
        pid = lk.fragments(prof)[2]
        acct = lk.account_id[camp.account]
        ctr = (prof * 7 + lix) % 13
        got["send_message_id"] = (
            f"{launch.ts:x}{acct:x}_{camp.campaign_id:x}_{msg:x}_"
            f"{lk.list_id[camp.list_index]:x}_{camp.segment_id:x}_{ctr:x}.{pid}"
        )
        if lk.channel_name[camp.channel] == "push":
            token, provider = lk.strings.push_token(prof)
            suffix = "ios-apns" if provider == "iosapns" else "android-fcm"
            got["extra_uid"] = f"e|{launch.ts:x}_{token[:10]}_{ctr:x}|{suffix}"
    return got


def delivery_data(
    lk: Lookups, name: str, prof: int, camp: Campaign, launch: Launch | None
) -> dict[str, Any]:
    """event_data of a delivery event (send, deliver, bounces, ...)."""
    ed = send_fields(lk, prof, camp, launch)
    texts = BOUNCE_TEXT.get(name)
    if texts is not None:
        ed = dict(ed)
        field = "provider_response" if camp.channel == CHANNEL_PUSH else "smtp_response"
        ed[field] = texts[prof % len(texts)]
    return ed


def track_data(
    lk: Lookups, name: str, prof: int, camp: Campaign, launch: Launch | None, aux: int, flags: int
) -> dict[str, Any]:
    """event_data of a tracking event (open, click, ...); `aux` picks a click's link."""
    base = send_fields(lk, prof, camp, launch)
    ed = {
        "message_id": base["message_id"],
        "campaign_id": base["campaign_id"],
        "segment_id": base["segment_id"],
        "resource_id": base["resource_id"],
    }
    geo_agent(lk, prof, flags, ed, camp.channel == CHANNEL_EMAIL)
    if name in CLICK_TYPES:
        ed["link_url"] = camp.links[aux % len(camp.links)]
    if "launch_id" in base:
        ed["launch_id"] = base["launch_id"]
        ed["send_message_id"] = base["send_message_id"]
        if "extra_uid" in base:
            ed["extra_uid"] = base["extra_uid"]
    return ed


def geo_agent(lk: Lookups, prof: int, flags: int, ed: dict[str, Any], email: bool) -> None:
    """Add ip, geo and user-agent fields to `ed` (an image proxy's for proxied opens)."""
    if flags & FLAG_PROXY:
        ed["ip"] = f"{ref.PROXY_IP_PREFIX}.{prof % 250 + 1}"
        ed.update(PROXY_AGENT)
        return
    ed["ip"] = lk.fragments(prof)[3]
    if prof % NO_GEO_EVERY == 0:
        ed.update(EMPTY_GEO)
    else:
        ed.update(GEO_DICTS[lk.p_geo[prof]])
    if flags & FLAG_APP:
        ed.update(APP_AGENT_DICTS[lk.p_app[prof]])
    elif email:
        ed.update(WEB_AGENT_DICTS[lk.p_web[prof]])
    else:
        ed.update(WEB_AGENT_DICTS[MOBILE_AGENTS[prof % len(MOBILE_AGENTS)]])
