"""`event_data` of a campaign run's events other than messages; their fields are synthetic.

The generator invents these fields (**synthetic**, not confirmed by Altcraft):

* campaign_launch (no profile fields at all): `campaign_id`, `campaign_name`, `launch_id`,
  `channel`, `list_id`, `resource_id`, `message_ids`, `segment_ids`, `launch_type`
  (regular/trigger/doi), `audience_size`;
* camp_error: `campaign_id`, `launch_id`, `error_type`, `error` (+ `message_id`,
  `resource_id` for a per-recipient error);
* sc_*: `campaign_id`, `launch_id`, `resource_id`, `segment_id`, `group` (assignments),
  `gcg_id` (sc_gcg_suppress);
"""

from __future__ import annotations

from typing import Any

import orchestration.generate.reference as ref
from orchestration.generate.plan.events import Launch
from orchestration.generate.serialize.lookups import Lookups
from orchestration.generate.serialize.message_data import send_fields
from orchestration.generate.world.model import Campaign


def launch_data(
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
    """A campaign launch; `aux` is the audience size."""
    assert camp is not None
    return {
        "campaign_id": camp.campaign_id,
        "campaign_name": camp.name,
        "launch_id": launch.launch_id if launch else None,
        "channel": lk.channel_name[camp.channel],
        "list_id": lk.list_id[camp.list_index],
        "resource_id": lk.resource_id[camp.list_index],
        "message_ids": list(camp.message_ids),
        "segment_ids": [camp.segment_id] if camp.segment_id else [],
        "launch_type": launch.kind if launch else "regular",
        "audience_size": aux,
    }


def error_data(
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
    """A campaign error: launch-level (`aux` < 0) or for one recipient."""
    assert camp is not None
    launch_id = launch.launch_id if launch else None
    if aux < 0:
        error_type, message = ref.LAUNCH_ERRORS[(-1 - aux) % len(ref.LAUNCH_ERRORS)]
        return {
            "campaign_id": camp.campaign_id,
            "launch_id": launch_id,
            "error_type": error_type,
            "error": message,
        }
    error_type, message = ref.CAMPAIGN_ERRORS[aux % len(ref.CAMPAIGN_ERRORS)]
    base = send_fields(lk, prof, camp, launch)
    return {
        "message_id": base["message_id"],
        "campaign_id": camp.campaign_id,
        "resource_id": base["resource_id"],
        "launch_id": launch_id,
        "error_type": error_type,
        "error": message,
    }


def audience_data(
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
    """Campaign audience events (sc_*)."""
    assert camp is not None
    ed: dict[str, Any] = {
        "campaign_id": camp.campaign_id,
        "launch_id": launch.launch_id if launch else None,
        "resource_id": lk.resource_id[camp.list_index],
        "segment_id": camp.segment_id,
    }
    if name.endswith("_group_assign"):
        ed["group"] = name.removeprefix("sc_").removesuffix("_group_assign")
    elif "gcg" in name:
        ed["gcg_id"] = 1 + camp.account
    return ed
