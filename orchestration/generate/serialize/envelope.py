"""The dict path: a record as a dict in its producer's key order, for orjson to serialize.

Used for the records the fast path does not build (no profile or no subscription, a deleted
profile, campaign_launch). Profiles deleted since ("historical export"): `profile_id`,
`_xxh`, `_md5`, `custom_data` and `subscription` are null; everything else is kept.
"""

from __future__ import annotations

from typing import Any

from orchestration.generate.constants import ETYPES
from orchestration.generate.plan.events import FLAG_TEST, Launch
from orchestration.generate.serialize.campaign_data import launch_data
from orchestration.generate.serialize.family_data import BUILDERS, generic_data
from orchestration.generate.serialize.kinds import KIND
from orchestration.generate.serialize.lookups import Lookups
from orchestration.generate.serialize.message_data import delivery_data, track_data
from orchestration.generate.serialize.producers import HTTP_ORDER
from orchestration.generate.world.model import Campaign


def envelope(
    lk: Lookups,
    et: int,
    date: str,
    prof: int,
    chan: int,
    camp: Campaign | None,
    launch: Launch | None,
    aux: int,
    aux2: int,
    tries: int,
    flags: int,
    status: int,
    a: int,
    producer: str,
) -> dict[str, Any]:
    """One row (`a`: account index, `producer` its producer) as a record dict."""
    name = ETYPES[et]
    kind = KIND[et]
    if kind == "campaign_launch":
        return {
            "event_type": name,
            "event_date": date,
            "account_id": lk.account_id[a],
            "is_test": False,
            "event_data": launch_data(lk, name, prof, chan, camp, launch, aux, aux2, flags),
        }
    null_style = producer == "rmq"
    env: dict[str, Any] = {"event_type": name, "event_date": date}
    sub = None
    deleted = False
    custom = None
    if prof >= 0:
        ident = lk.identity(prof)
        deleted = lk.p_deleted[prof]
        if deleted:
            env["profile_id"] = env["_xxh"] = env["_md5"] = None
        else:
            env["profile_id"] = ident.profile_id
            env["_xxh"] = ident.xxh
            env["_md5"] = ident.md5
            custom = ident.custom_data
        env["list_id"] = lk.list_id[lk.p_list[prof]]
        if chan >= 0:
            sub = lk.subscription(prof, chan, status)
    env["account_id"] = lk.account_id[a]
    if tries > 0:
        env["sends_trying_num"] = tries
    env["is_test"] = bool(flags & FLAG_TEST)
    if kind == "track" or kind == "delivery":
        if camp is None:
            kind = "subscribe"
        else:
            env["is_static"] = camp.is_static
    if null_style and "is_static" not in env:
        env["is_static"] = None
    if sub is not None:
        env["subscription_hash_id"] = sub[0]
    elif null_style:
        env["subscription_hash_id"] = None
    if prof >= 0:
        env["custom_data"] = custom
    if kind == "delivery" and camp is not None:
        env["event_data"] = delivery_data(lk, name, prof, camp, launch)
    elif kind == "track" and camp is not None:
        env["event_data"] = track_data(lk, name, prof, camp, launch, aux, flags)
    else:
        build = BUILDERS.get(kind, generic_data)
        env["event_data"] = build(lk, name, prof, chan, camp, launch, aux, aux2, flags)
    if lk.platform_of_account[a] >= 74:
        if sub is not None:
            env["subscription"] = None if deleted else [sub[1]]
        elif null_style:
            env["subscription"] = None
    if producer == "http":
        return {k: env[k] for k in HTTP_ORDER if k in env}
    return env
