"""The fast path: records of a live profile's subscription, assembled from cached bytes.

Per-profile envelope fragments and subscription elements are cached by `Lookups` (bounded by
the number of profiles), per-send `event_data` here for one day, because one profile and one
send recur in many events. The result is the same JSON, key order included, as the dict path
(`envelope`); the tests check that.
"""

from __future__ import annotations

import orjson

from orchestration.generate.constants import ETYPES, N_CHANNELS
from orchestration.generate.plan.events import FLAG_APP, FLAG_PROXY, FLAG_TEST, Launch
from orchestration.generate.serialize.family_data import BUILDERS, generic_data
from orchestration.generate.serialize.kinds import BOUNCE_TEXT, CLICK_TYPES, KIND, NAME_B
from orchestration.generate.serialize.lookups import Lookups
from orchestration.generate.serialize.message_data import delivery_data, send_fields, track_data
from orchestration.generate.serialize.pieces import (
    APP_AGENT_B,
    CHANNEL_EMAIL,
    CHANNEL_PUSH,
    EMPTY_GEO_B,
    GEO_B,
    MOBILE_AGENTS,
    NO_GEO_EVERY,
    NULL_TF,
    PROXY_AGENT_B,
    PROXY_IP_B,
    STATUS_B,
    TF,
    WEB_AGENT_B,
)
from orchestration.generate.world.model import Campaign

SendBytes = tuple[bytes, bytes, bytes]
"""(delivery event_data, tracking event_data prefix, tracking tail) of one send."""
MAX_TEMPLATES = 100_000
"""Per-launch templates kept across days; the cache is emptied beyond this."""


class FastPath:
    """Builds records from byte fragments; one instance per worker."""

    def __init__(self, lk: Lookups) -> None:
        self.lk = lk
        self._send_b: dict[int, SendBytes] = {}
        self._launch_tpl: dict[int, tuple[bytes, bytes]] = {}
        self._link_b = [[orjson.dumps(link) for link in c.links] for c in lk.campaigns]

    def new_day(self) -> None:
        """Forget the previous day's sends (and the launch templates, once there are many)."""
        self._send_b.clear()
        if len(self._launch_tpl) > MAX_TEMPLATES:
            self._launch_tpl.clear()

    def record(
        self,
        et: int,
        date: bytes,
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
    ) -> bytes:
        """One row's record (a live profile, a subscription; `a`: the account index)."""
        lk = self.lk
        name = ETYPES[et]
        kind = KIND[et]
        style = lk.producer_of_account[a]
        is_static = None
        option = orjson.OPT_SORT_KEYS if style == "rmq" else 0
        if (kind == "track" or kind == "delivery") and camp is not None and launch is not None:
            is_static = camp.is_static
            if kind == "delivery" and name not in BOUNCE_TEXT:
                ed = self._send_bytes(prof, camp, launch)[0]
            elif kind == "track" and style != "rmq":
                ed = self._track_bytes(name, prof, camp, launch, aux, flags)
            elif kind == "delivery":
                ed = orjson.dumps(delivery_data(lk, name, prof, camp, launch), option=option)
            else:
                ed_obj = track_data(lk, name, prof, camp, launch, aux, flags)
                ed = orjson.dumps(ed_obj, option=option)
        else:
            if kind == "track" or kind == "delivery":
                kind = "subscribe"
            build = BUILDERS.get(kind, generic_data)
            ed_obj = build(lk, name, prof, chan, camp, launch, aux, aux2, flags)
            ed = orjson.dumps(ed_obj, option=option)
        frags = lk.frags[prof] or lk.fragments(prof)
        head, second = frags[0], frags[1]
        sub = lk.sub_frags[prof * N_CHANNELS + chan] or lk.sub_fragments(prof, chan)
        hash_id, before, after = sub
        name_b = NAME_B[et]
        test = flags & FLAG_TEST
        st = STATUS_B[status]
        if style == "rmq":
            parts = [
                head, ed, b',"event_date":"', date, b'","event_type":"', name_b,
                b'","is_static":', NULL_TF[is_static], b',"is_test":', TF[test], second,
            ]  # fmt: skip
            if tries:
                parts.append(b'"sends_trying_num":%d,' % tries)
            parts += [
                b'"subscription":[',
                before,
                st,
                after,
                b'],"subscription_hash_id":"',
                hash_id,
                b'"}',
            ]
            return b"".join(parts)
        if style == "http":
            parts = [
                b'{"event_type":"', name_b, b'",', head, ed, b',"event_date":"', date, b'",',
                second, TF[test],
            ]  # fmt: skip
            if is_static is not None:
                parts += [b',"is_static":', TF[is_static]]
            parts += [b',"subscription_hash_id":"', hash_id, b'"']
            if tries:
                parts.append(b',"sends_trying_num":%d' % tries)
            parts.append(b"}")
            return b"".join(parts)
        parts = [b'{"event_type":"', name_b, b'","event_date":"', date, b'",', head]
        if tries:
            parts.append(b'"sends_trying_num":%d,' % tries)
        parts += [b'"is_test":', TF[test], b","]
        if is_static is not None:
            parts += [b'"is_static":', TF[is_static], b","]
        parts += [b'"subscription_hash_id":"', hash_id, b'",', second, b'"event_data":', ed]
        if lk.platform_of_account[a] >= 74:
            parts += [b',"subscription":[', before, st, after, b"]"]
        parts.append(b"}")
        return b"".join(parts)

    def _send_bytes(self, prof: int, camp: Campaign, launch: Launch) -> SendBytes:
        """The event_data bytes of one send (see `SendBytes`), cached for the day."""
        key = (launch.index + 1) * 1_048_576 + prof
        got = self._send_b.get(key)
        if got is not None:
            return got
        if camp.channel != CHANNEL_PUSH:
            got = self._send_bytes_template(prof, camp, launch)
            self._send_b[key] = got
            return got
        base = send_fields(self.lk, prof, camp, launch)
        if self.lk.producer_of_account[camp.account] == "rmq":
            delivery = orjson.dumps(base, option=orjson.OPT_SORT_KEYS)
            got = (delivery, b"", b"")
        else:
            delivery = orjson.dumps(base)
            prefix = b'{"message_id":%d,"campaign_id":%d,"segment_id":%d,"resource_id":%d,' % (
                base["message_id"],
                base["campaign_id"],
                base["segment_id"],
                base["resource_id"],
            )
            tail = delivery[delivery.index(b'"launch_id"') :]
            got = (delivery, prefix, tail)
        self._send_b[key] = got
        return got

    def _send_bytes_template(self, prof: int, camp: Campaign, launch: Launch) -> SendBytes:
        """_send_bytes without a dict: per (launch, message) templates (not for push)."""
        lk = self.lk
        lix = launch.index
        msgs = camp.message_ids
        msg = msgs[(prof * 31 + lix) % len(msgs)]
        tkey = lix * 8 + msgs.index(msg)
        tpl = self._launch_tpl.get(tkey)
        if tpl is None:
            acct = lk.account_id[camp.account]
            list_id = lk.list_id[camp.list_index]
            res = lk.resource_id[camp.list_index]
            smid = (
                f"{launch.ts:x}{acct:x}_{camp.campaign_id:x}_{msg:x}_{list_id:x}_"
                f"{camp.segment_id:x}_"
            ).encode()
            lid = launch.launch_id.encode()
            if lk.producer_of_account[camp.account] == "rmq":
                head = (
                    b'{"campaign_id":%d,"launch_id":"%s","message_id":%d,"resource_id":%d,'
                    b'"segment_id":%d,"send_message_id":"%s'
                    % (camp.campaign_id, lid, msg, res, camp.segment_id, smid)
                )
                tpl = (b"", head)
            else:
                prefix = b'{"message_id":%d,"campaign_id":%d,"segment_id":%d,"resource_id":%d,' % (
                    msg,
                    camp.campaign_id,
                    camp.segment_id,
                    res,
                )
                tpl = (prefix, b'"launch_id":"%s","send_message_id":"%s' % (lid, smid))
            self._launch_tpl[tkey] = tpl
        prefix, tail_head = tpl
        frags = lk.frags[prof] or lk.fragments(prof)
        tail = b'%s%x.%s"}' % (tail_head, (prof * 7 + lix) % 13, frags[2].encode())
        return (prefix + tail, prefix, tail)

    def _track_bytes(
        self, name: str, prof: int, camp: Campaign, launch: Launch, aux: int, flags: int
    ) -> bytes:
        """The event_data bytes of a tracking event (not for rmq: its keys are sorted)."""
        lk = self.lk
        _delivery, prefix, tail = self._send_bytes(prof, camp, launch)
        if flags & FLAG_PROXY:
            middle = b'"ip":"%s.%d",%s' % (PROXY_IP_B, prof % 250 + 1, PROXY_AGENT_B)
        else:
            geo = EMPTY_GEO_B if prof % NO_GEO_EVERY == 0 else GEO_B[lk.p_geo[prof]]
            if flags & FLAG_APP:
                agent = APP_AGENT_B[lk.p_app[prof]]
            elif camp.channel == CHANNEL_EMAIL:
                agent = WEB_AGENT_B[lk.p_web[prof]]
            else:
                agent = WEB_AGENT_B[MOBILE_AGENTS[prof % len(MOBILE_AGENTS)]]
            ip = lk.fragments(prof)[3].encode()
            middle = b'"ip":"%s",%s,%s' % (ip, geo, agent)
        if name in CLICK_TYPES:
            link = self._link_b[camp.index][aux % len(camp.links)]
            return b'%s%s,"link_url":%s,%s' % (prefix, middle, link, tail)
        return b"%s%s,%s" % (prefix, middle, tail)
