"""Turn a planned day (integer columns) into hook messages: JSON objects, serialized.

Envelope (hook-message-format section 1.1), per producer (the account's hook):

| producer | key order | unknown optional keys | event_date | `subscription` |
|---|---|---|---|---|
| kafka (account 23) | docs order | absent | ns, Go style, `Z` | yes |
| rmq (account 161) | sorted | `null` | as kafka; 30 % with `+03:00`/`+05:00` | yes |
| http (account 1042) | docs' batch example | absent | microseconds, `Z` | no (v73) |

Go style: RFC3339Nano, trailing zeros of the fraction dropped.

Pop-up and pixel events have millisecond instants (browser clocks), imports whole seconds, so
fraction lengths of 0 to 9 digits all occur. Every string denotes the event's exact instant.

Profiles deleted since ("historical export"): `profile_id`, `_xxh`, `_md5`, `custom_data` and
`subscription` are null; everything else is kept.

`event_data`: tracking events carry the section 3.1 fields; delivery events `message_id`,
`campaign_id`, `segment_id`, `resource_id`, `launch_id`, `send_message_id` (+ `extra_uid`
for push). The other families are undocumented; the generator invents these fields
(**synthetic**, not confirmed by Altcraft):

* bounces: `smtp_response` (email), `provider_response` (push);
* campaign_launch (no profile fields at all): `campaign_id`, `campaign_name`, `launch_id`,
  `channel`, `list_id`, `resource_id`, `message_ids`, `segment_ids`, `launch_type`
  (regular/trigger/doi), `audience_size`;
* camp_error: `campaign_id`, `launch_id`, `error_type`, `error` (+ `message_id`,
  `resource_id` for a per-recipient error);
* sc_*: `campaign_id`, `launch_id`, `resource_id`, `segment_id`, `group` (assignments),
  `gcg_id` (sc_gcg_suppress);
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
* `*_subscribe` (messengers): `resource_id`, `channel`, `source`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import orjson

from orchestration.catalog import STATUSES, by_type
from orchestration.generate import reference as ref
from orchestration.generate.constants import (
    CHANNELS,
    ETYPES,
    FAMILY_OF,
    MS,
    N_CHANNELS,
    SEC,
)
from orchestration.generate.entities import ACCOUNTS, Campaign, ProfileStrings, World
from orchestration.generate.events import (
    FLAG_APP,
    FLAG_PROXY,
    FLAG_TEST,
    DayTable,
)
from orchestration.generate.funnels import Launch

KAFKA_ORDER = (
    "event_type", "event_date", "profile_id", "_xxh", "_md5", "list_id", "account_id",
    "sends_trying_num", "is_test", "is_static", "subscription_hash_id", "custom_data",
    "event_data", "subscription",
)  # fmt: skip
HTTP_ORDER = (
    "event_type", "list_id", "account_id", "_xxh", "_md5", "event_data", "event_date",
    "custom_data", "profile_id", "is_test", "is_static", "subscription_hash_id",
    "sends_trying_num", "subscription",
)  # fmt: skip

PRODUCER_OPTION = {"kafka": 0, "rmq": orjson.OPT_SORT_KEYS, "http": 0}
CHUNK_ROWS = 65_536
"""Rows turned into Python objects at a time (keeps memory flat however big a day is)."""

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

GEO_DICTS = [
    {
        "country": g.country, "city": g.city, "postal_code": g.postal_code, "region": g.region,
        "tz": g.tz, "lat": g.lat, "lon": g.lon,
    }
    for g in ref.GEOS
]  # fmt: skip
EMPTY_GEO = {"country": "", "city": "", "postal_code": "", "region": "", "tz": ""}
NO_GEO_EVERY = 53
"""One profile in 53 has an IP the geo database does not know: empty geo strings, no lat/lon."""
WEB_AGENT_DICTS = [
    {"user_agent": a.user_agent, "os": a.os, "browser": a.browser, "device": a.device}
    for a in ref.WEB_AGENTS
]
MOBILE_AGENTS = [i for i, a in enumerate(ref.WEB_AGENTS) if a.device == "mobile"]
APP_AGENT_DICTS = [
    {"user_agent": a.user_agent, "os": a.os, "browser": a.browser, "device": a.device}
    for a in ref.APP_AGENTS
]
PROXY_AGENT = {
    "user_agent": ref.PROXY_AGENT.user_agent, "os": ref.PROXY_AGENT.os,
    "browser": ref.PROXY_AGENT.browser, "device": ref.PROXY_AGENT.device,
}  # fmt: skip


def go_rfc3339(base: str, suffix: str) -> str:
    """Go's RFC3339Nano: the fraction loses trailing zeros (and the dot when it is all zero)."""
    if "." in base:
        base = base.rstrip("0").rstrip(".")
    return base + suffix


def format_times(t: np.ndarray, producer: str, rng: np.random.Generator) -> list[str]:
    """RFC 3339 strings for one producer's events (t already at the producer's precision)."""
    utc = np.datetime_as_string(t.astype("datetime64[ns]"), unit="ns").tolist()
    if producer != "rmq":
        return [go_rfc3339(s, "Z") for s in utc]
    out = [go_rfc3339(s, "Z") for s in utc]
    offset = rng.random(t.size)
    for hours, lo, hi in ((3, 0.0, 0.25), (5, 0.25, 0.30)):
        sel = np.flatnonzero((offset >= lo) & (offset < hi))
        if sel.size:
            local = np.datetime_as_string(
                (t[sel] + hours * 3600 * SEC).astype("datetime64[ns]"), unit="ns"
            ).tolist()
            for k, s in zip(sel.tolist(), local, strict=True):
                out[k] = go_rfc3339(s, f"+{hours:02d}:00")
    return out


class Serializer:
    """Builds the JSON of a day's events; one instance per worker.

    Per-profile envelope fragments and subscription elements are cached as bytes (bounded by
    the number of profiles), per-send `event_data` for one day, because one profile and one
    send recur in many events.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        p = world.profiles
        self.p = p
        self.strings = ProfileStrings(world)
        self.catalog = by_type()
        self.kind = [self._kind_of(name) for name in ETYPES]
        self.click_types = frozenset(
            name for name in ETYPES if self.catalog[name].role in CLICK_ROLES or name == "confirm"
        )
        self.bounce_text = {
            name: ref.BOUNCE_TEXT[
                ("push_" if self.catalog[name].channel == "push" else "")
                + ("soft" if self.catalog[name].role == "soft_bounce" else "hard")
            ]
            for name in ETYPES
            if self.catalog[name].role in ("soft_bounce", "hard_bounce")
        }
        self.channel_name = list(CHANNELS)
        self.status_name = list(STATUSES)
        self.producer_of_account = [a.producer for a in ACCOUNTS]
        self.platform_of_account = [a.platform for a in ACCOUNTS]
        self.account_id = [a.account_id for a in ACCOUNTS]
        self.list_id = [spec.list_id for _, spec in world.lists]
        self.resource_id = [spec.resource_id for _, spec in world.lists]
        self.p_account = p.account.tolist()
        self.p_list = p.list_index.tolist()
        self.p_deleted = p.deleted.tolist()
        self.p_geo = p.geo.tolist()
        self.p_web = p.web_agent.tolist()
        self.p_app = p.app_agent.tolist()
        self.p_key = p.key.tolist()
        self.p_chat = p.chat.tolist()
        self._frags: list[tuple[bytes, bytes, str, str] | None] = [None] * p.n
        self._sub_frags: list[tuple[bytes, bytes, bytes] | None] = [None] * (p.n * N_CHANNELS)
        self._send_b: dict[int, tuple[bytes, bytes, bytes]] = {}
        self._launch_tpl: dict[int, tuple[bytes, bytes]] = {}
        self.name_b = [name.encode() for name in ETYPES]
        self.slow_kind = [k == "campaign_launch" for k in self.kind]
        self._link_b = [[orjson.dumps(link) for link in c.links] for c in world.campaigns]
        self._builders: dict[str, Callable[..., dict]] = {
            "subscribe": self._ed_subscribe,
            "campaign_launch": self._ed_launch,
            "campaign_error": self._ed_error,
            "campaign_audience": self._ed_audience,
            "popup": self._ed_popup,
            "loyalty": self._ed_loyalty,
            "promocode": self._ed_promocode,
            "pixel": self._ed_pixel,
            "profile_import": self._ed_import,
            "static_segment": self._ed_segment,
            "profile_merge_split": self._ed_merge,
            "gcg": self._ed_gcg,
            "api_unsubscribe": self._ed_api_unsub,
        }

    def _kind_of(self, name: str) -> str:
        """track (section 3.1 tracking data), delivery (message ids only) or the family.

        Opens and clicks are tracking events on every channel; reads, unsubscribes and
        confirmations only on email/SMS/push (the section 3.1 list). Messenger reads and
        unsubscribes carry the message ids, like delivery events.
        """
        entry = self.catalog[name]
        if entry.channel:
            if entry.role in CLICK_ROLES or entry.role in ("open", "unique_open"):
                return "track"
            if entry.channel in DOC_TRACKING_CHANNELS and (
                entry.role in TRACKING_ROLES or name == "confirm"
            ):
                return "track"
            return "delivery"
        return entry.family

    # ------------------------------------------------------------------ day

    def accounts_of(self, table: DayTable) -> np.ndarray:
        """Account index of each row (rows without a profile: the campaign's account)."""
        cols = table.cols
        acct = np.zeros(len(table), dtype=np.int8)
        has_prof = cols["prof"] >= 0
        acct[has_prof] = self.p.account[cols["prof"][has_prof]]
        no_prof = ~has_prof & (cols["camp"] >= 0)
        camp_acct = np.array([c.account for c in self.world.campaigns], dtype=np.int8)
        acct[no_prof] = camp_acct[cols["camp"][no_prof]]
        return acct

    def prepare(self, table: DayTable, rng: np.random.Generator) -> np.ndarray:
        """Apply each producer's clock precision, sort the day by time, format the dates.

        Returns the account index of every sorted row; `self.cols` holds the sorted columns and
        `self.dates` the event_date strings.
        """
        cols = table.cols
        acct = self.accounts_of(table)
        t = cols["t"].copy()
        et = cols["et"]
        fam = np.array(FAMILY_OF)
        coarse = np.isin(fam[et], ["profile_import", "static_segment"])
        t[coarse] -= t[coarse] % SEC
        millis = np.isin(fam[et], ["popup"])
        t[millis] -= t[millis] % MS
        for a, acc in enumerate(ACCOUNTS):
            if acc.producer == "http":
                m = acct == a
                t[m] -= t[m] % 1000
        order = np.lexsort((np.arange(t.size), t))
        self.cols = {k: v[order] for k, v in cols.items()}
        self.cols["t"] = t[order]
        acct = acct[order]
        dates: list[bytes] = [b""] * t.size
        for a, acc in enumerate(ACCOUNTS):
            sel = np.flatnonzero(acct == a)
            if sel.size:
                formatted = format_times(self.cols["t"][sel], acc.producer, rng)
                for k, s in zip(sel.tolist(), formatted, strict=True):
                    dates[k] = s.encode()
        self.dates = dates
        self._send_b.clear()
        if len(self._launch_tpl) > 100_000:
            self._launch_tpl.clear()
        return acct

    def iter_records(self, launches: dict[int, Launch], acct: np.ndarray) -> Iterator[bytes]:
        """JSON bytes of the sorted rows, one at a time (never a day-long list).

        The common case (a live profile and a subscription) is assembled from cached byte
        fragments in the producer's key order (`_fast`); the rest goes through a dict and
        orjson (`_envelope`). Both give the same JSON (checked by the tests).
        """
        for lo in range(0, len(self.dates), CHUNK_ROWS):
            yield from self._iter_chunk(lo, lo + CHUNK_ROWS, launches, acct)

    def _iter_chunk(
        self, lo: int, hi: int, launches: dict[int, Launch], acct: np.ndarray
    ) -> Iterator[bytes]:
        c = self.cols
        rows = zip(
            c["et"][lo:hi].tolist(),
            self.dates[lo:hi],
            c["prof"][lo:hi].tolist(),
            c["chan"][lo:hi].tolist(),
            c["launch"][lo:hi].tolist(),
            c["camp"][lo:hi].tolist(),
            c["aux"][lo:hi].tolist(),
            c["aux2"][lo:hi].tolist(),
            c["tries"][lo:hi].tolist(),
            c["flags"][lo:hi].tolist(),
            c["status"][lo:hi].tolist(),
            acct[lo:hi].tolist(),
            strict=True,
        )
        campaigns = self.world.campaigns
        dumps = orjson.dumps
        envelope = self._envelope
        fast = self._fast
        producers = self.producer_of_account
        deleted = self.p_deleted
        slow_kind = self.slow_kind
        for et, date, prof, chan, li, ci, aux, aux2, tries, flags, status, a in rows:
            camp = campaigns[ci] if ci >= 0 else None
            launch = launches[li] if li >= 0 else None
            if prof >= 0 and chan >= 0 and not deleted[prof] and not slow_kind[et]:
                yield fast(et, date, prof, chan, camp, launch, aux, aux2, tries, flags, status, a)
                continue
            producer = producers[a]
            env = envelope(
                et, date.decode(), prof, chan, camp, launch, aux, aux2, tries, flags, status, a,
                producer,
            )  # fmt: skip
            yield dumps(env, option=PRODUCER_OPTION[producer])

    # ------------------------------------------------------------------ fast path

    def _fragments(self, i: int) -> tuple[bytes, bytes, str, str]:
        """Cached envelope fragments of a profile, in its producer's key order, with its
        profile_id and IP address: (head, second, profile_id, ip)."""
        got = self._frags[i]
        if got is not None:
            return got
        pid, xxh, md5, email, _phone = self.strings.identity(i)
        custom = {"email": email}
        a = self.p_account[i]
        acct = self.account_id[a]
        list_id = self.list_id[self.p_list[i]]
        custom_b = orjson.dumps(custom)
        style = self.producer_of_account[a]
        if style == "rmq":
            got = (
                b'{"_md5":"%s","_xxh":"%s","account_id":%d,"custom_data":%s,"event_data":'
                % (md5.encode(), xxh.encode(), acct, custom_b),
                b',"list_id":%d,"profile_id":"%s",' % (list_id, pid.encode()),
            )
        elif style == "http":
            got = (
                b'"list_id":%d,"account_id":%d,"_xxh":"%s","_md5":"%s","event_data":'
                % (list_id, acct, xxh.encode(), md5.encode()),
                b'"custom_data":%s,"profile_id":"%s","is_test":' % (custom_b, pid.encode()),
            )
        else:
            got = (
                b'"profile_id":"%s","_xxh":"%s","_md5":"%s","list_id":%d,"account_id":%d,'
                % (pid.encode(), xxh.encode(), md5.encode(), list_id, acct),
                b'"custom_data":%s,' % custom_b,
            )
        got = (got[0], got[1], pid, self.strings.ip(i))
        self._frags[i] = got
        return got

    def _sub_fragments(self, i: int, chan: int) -> tuple[bytes, bytes, bytes]:
        """(subscription_hash_id, element JSON before the status, after it)."""
        key = i * N_CHANNELS + chan
        got = self._sub_frags[key]
        if got is not None:
            return got
        hash_id, elem = self._subscription(i, chan, 0)
        placeholder = dict(elem)
        placeholder["status"] = "__STATUS__"
        sort = self.producer_of_account[self.p_account[i]] == "rmq"
        text = orjson.dumps(placeholder, option=orjson.OPT_SORT_KEYS if sort else 0)
        before, after = text.split(b'"__STATUS__"')
        got = (hash_id.encode(), before, after)
        self._sub_frags[key] = got
        return got

    def _send_bytes(self, prof: int, camp: Campaign, launch: Launch) -> tuple[bytes, bytes, bytes]:
        """(delivery event_data, tracking prefix, tracking tail) of one send, as bytes."""
        key = (launch.index + 1) * 1_048_576 + prof
        got = self._send_b.get(key)
        if got is not None:
            return got
        if camp.channel != CHANNEL_PUSH:
            got = self._send_bytes_template(prof, camp, launch)
            self._send_b[key] = got
            return got
        base = self._send_fields(prof, camp, launch)
        if self.producer_of_account[camp.account] == "rmq":
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

    def _send_bytes_template(self, prof: int, camp: Campaign, launch: Launch):
        """_send_bytes without a dict: per (launch, message) templates (not for push)."""
        lix = launch.index
        msgs = camp.message_ids
        msg = msgs[(prof * 31 + lix) % len(msgs)]
        tkey = lix * 8 + msgs.index(msg)
        tpl = self._launch_tpl.get(tkey)
        if tpl is None:
            acct = self.account_id[camp.account]
            list_id = self.list_id[camp.list_index]
            res = self.resource_id[camp.list_index]
            smid = (
                f"{launch.ts:x}{acct:x}_{camp.campaign_id:x}_{msg:x}_{list_id:x}_"
                f"{camp.segment_id:x}_"
            ).encode()
            lid = launch.launch_id.encode()
            if self.producer_of_account[camp.account] == "rmq":
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
        frags = self._frags[prof] or self._fragments(prof)
        tail = b'%s%x.%s"}' % (tail_head, (prof * 7 + lix) % 13, frags[2].encode())
        return (prefix + tail, prefix, tail)

    def _track_bytes(
        self, name: str, prof: int, camp: Campaign, launch: Launch, aux: int, flags: int
    ) -> bytes:
        _delivery, prefix, tail = self._send_bytes(prof, camp, launch)
        if flags & FLAG_PROXY:
            middle = b'"ip":"%s.%d",%s' % (PROXY_IP_B, prof % 250 + 1, PROXY_AGENT_B)
        else:
            geo = EMPTY_GEO_B if prof % NO_GEO_EVERY == 0 else GEO_B[self.p_geo[prof]]
            if flags & FLAG_APP:
                agent = APP_AGENT_B[self.p_app[prof]]
            elif camp.channel == CHANNEL_EMAIL:
                agent = WEB_AGENT_B[self.p_web[prof]]
            else:
                agent = WEB_AGENT_B[MOBILE_AGENTS[prof % len(MOBILE_AGENTS)]]
            middle = b'"ip":"%s",%s,%s' % (self._ip_b(prof), geo, agent)
        if name in self.click_types:
            link = self._link_b[camp.index][aux % len(camp.links)]
            return b'%s%s,"link_url":%s,%s' % (prefix, middle, link, tail)
        return b"%s%s,%s" % (prefix, middle, tail)

    def _ip_b(self, prof: int) -> bytes:
        return self._fragments(prof)[3].encode()

    def _fast(
        self, et, date, prof, chan, camp, launch, aux, aux2, tries, flags, status, a
    ) -> bytes:
        name = ETYPES[et]
        kind = self.kind[et]
        style = self.producer_of_account[a]
        is_static = None
        if kind == "track" or kind == "delivery":
            if camp is None or launch is None:
                kind = "subscribe"
            else:
                is_static = camp.is_static
        if kind == "delivery" and name not in self.bounce_text:
            ed = self._send_bytes(prof, camp, launch)[0]
        elif kind == "track" and style != "rmq":
            ed = self._track_bytes(name, prof, camp, launch, aux, flags)
        else:
            if kind == "delivery":
                ed_obj = self._ed_delivery(name, prof, camp, launch)
            elif kind == "track":
                ed_obj = self._ed_track(name, prof, camp, launch, aux, flags)
            else:
                build = self._builders.get(kind, self._ed_generic)
                ed_obj = build(name, prof, chan, camp, launch, aux, aux2, flags)
            ed = orjson.dumps(ed_obj, option=orjson.OPT_SORT_KEYS if style == "rmq" else 0)
        frags = self._frags[prof] or self._fragments(prof)
        head, second = frags[0], frags[1]
        sub = self._sub_frags[prof * N_CHANNELS + chan] or self._sub_fragments(prof, chan)
        hash_id, before, after = sub
        name_b = self.name_b[et]
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
        if self.platform_of_account[a] >= 74:
            parts += [b',"subscription":[', before, st, after, b"]"]
        parts.append(b"}")
        return b"".join(parts)

    # ------------------------------------------------------------------ envelope

    def _identity(self, i: int) -> tuple:
        """(profile_id, _xxh, _md5, email, phone, custom_data, ip); not cached (slow path)."""
        pid, xxh, md5, email, phone = self.strings.identity(i)
        return (pid, xxh, md5, email, phone, {"email": email}, self._fragments(i)[3])

    def _subscription(self, i: int, chan: int, status: int) -> tuple[str, dict]:
        name = self.channel_name[chan]
        elem: dict[str, Any] = {"resource_id": self.resource_id[self.p_list[i]], "channel": name}
        if name == "email":
            elem["email"] = self.strings.email(i)
        elif name == "push":
            token, provider = self.strings.push_token(i)
            elem["subscription_id"] = token
            elem["provider"] = provider
        elif name == "telegram_bot":
            elem["ccsub"] = {"chat_id": self.p_chat[i]}
        elif name == "telegram_group":
            elem["ccsub"] = {"group_id": -1_000_000_000_000 - self.p_chat[i] % 10**9}
        else:
            elem["phone"] = self.strings.identity(i)[4] or self.strings.phone(i)
        elem["priority"] = 1
        elem["status"] = self.status_name[status] if status >= 0 else "subscribed"
        return self.strings.subscription_hash(i, chan), elem

    def _envelope(
        self, et, date, prof, chan, camp, launch, aux, aux2, tries, flags, status, a, producer
    ) -> dict:
        name = ETYPES[et]
        kind = self.kind[et]
        if kind == "campaign_launch":
            return {
                "event_type": name,
                "event_date": date,
                "account_id": self.account_id[a],
                "is_test": False,
                "event_data": self._ed_launch(name, prof, chan, camp, launch, aux, aux2, flags),
            }
        null_style = producer == "rmq"
        env: dict[str, Any] = {"event_type": name, "event_date": date}
        sub = None
        deleted = False
        custom = None
        if prof >= 0:
            ident = self._identity(prof)
            deleted = self.p_deleted[prof]
            if deleted:
                env["profile_id"] = env["_xxh"] = env["_md5"] = None
            else:
                env["profile_id"] = ident[0]
                env["_xxh"] = ident[1]
                env["_md5"] = ident[2]
                custom = ident[5]
            env["list_id"] = self.list_id[self.p_list[prof]]
            if chan >= 0:
                sub = self._subscription(prof, chan, status)
        env["account_id"] = self.account_id[a]
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
        if kind == "delivery":
            env["event_data"] = self._ed_delivery(name, prof, camp, launch)
        elif kind == "track":
            env["event_data"] = self._ed_track(name, prof, camp, launch, aux, flags)
        else:
            build = self._builders.get(kind, self._ed_generic)
            env["event_data"] = build(name, prof, chan, camp, launch, aux, aux2, flags)
        if self.platform_of_account[a] >= 74:
            if sub is not None:
                env["subscription"] = None if deleted else [sub[1]]
            elif null_style:
                env["subscription"] = None
        if producer == "http":
            return {k: env[k] for k in HTTP_ORDER if k in env}
        return env

    # ------------------------------------------------------------------ message events

    def _send_fields(self, prof: int, camp: Campaign, launch: Launch | None) -> dict:
        """The event_data shared by every event of one send."""
        lix = launch.index if launch is not None else -1
        msgs = camp.message_ids
        msg = msgs[(prof * 31 + max(lix, 0)) % len(msgs)]
        got = {
            "message_id": msg,
            "campaign_id": camp.campaign_id,
            "segment_id": camp.segment_id,
            "resource_id": self.resource_id[camp.list_index],
        }
        if launch is not None:
            got["launch_id"] = launch.launch_id
            pid = self._fragments(prof)[2]
            acct = self.account_id[camp.account]
            ctr = (prof * 7 + lix) % 13
            got["send_message_id"] = (
                f"{launch.ts:x}{acct:x}_{camp.campaign_id:x}_{msg:x}_"
                f"{self.list_id[camp.list_index]:x}_{camp.segment_id:x}_{ctr:x}.{pid}"
            )
            if self.channel_name[camp.channel] == "push":
                token, provider = self.strings.push_token(prof)
                suffix = "ios-apns" if provider == "iosapns" else "android-fcm"
                got["extra_uid"] = f"e|{launch.ts:x}_{token[:10]}_{ctr:x}|{suffix}"
        return got

    def _ed_delivery(self, name: str, prof: int, camp: Campaign, launch: Launch | None) -> dict:
        ed = self._send_fields(prof, camp, launch)
        texts = self.bounce_text.get(name)
        if texts is not None:
            ed = dict(ed)
            field = "provider_response" if camp.channel == CHANNEL_PUSH else "smtp_response"
            ed[field] = texts[prof % len(texts)]
        return ed

    def _ed_track(self, name, prof, camp, launch, aux, flags) -> dict:
        base = self._send_fields(prof, camp, launch)
        ed = {
            "message_id": base["message_id"],
            "campaign_id": base["campaign_id"],
            "segment_id": base["segment_id"],
            "resource_id": base["resource_id"],
        }
        self._geo_agent(prof, flags, ed, camp.channel == CHANNEL_EMAIL)
        if name in self.click_types:
            ed["link_url"] = camp.links[aux % len(camp.links)]
        if "launch_id" in base:
            ed["launch_id"] = base["launch_id"]
            ed["send_message_id"] = base["send_message_id"]
            if "extra_uid" in base:
                ed["extra_uid"] = base["extra_uid"]
        return ed

    def _geo_agent(self, prof: int, flags: int, ed: dict, email: bool) -> None:
        if flags & FLAG_PROXY:
            ed["ip"] = f"{ref.PROXY_IP_PREFIX}.{prof % 250 + 1}"
            ed.update(PROXY_AGENT)
            return
        ed["ip"] = self._fragments(prof)[3]
        if prof % NO_GEO_EVERY == 0:
            ed.update(EMPTY_GEO)
        else:
            ed.update(GEO_DICTS[self.p_geo[prof]])
        if flags & FLAG_APP:
            ed.update(APP_AGENT_DICTS[self.p_app[prof]])
        elif email:
            ed.update(WEB_AGENT_DICTS[self.p_web[prof]])
        else:
            ed.update(WEB_AGENT_DICTS[MOBILE_AGENTS[prof % len(MOBILE_AGENTS)]])

    # ------------------------------------------------------------------ other families

    def _ed_subscribe(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        channel = self.channel_name[chan]
        return {
            "resource_id": self.resource_id[self.p_list[prof]],
            "channel": channel,
            "source": "bot_start" if channel == "telegram_bot" else "user",
        }

    def _ed_launch(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        return {
            "campaign_id": camp.campaign_id,
            "campaign_name": camp.name,
            "launch_id": launch.launch_id if launch else None,
            "channel": self.channel_name[camp.channel],
            "list_id": self.list_id[camp.list_index],
            "resource_id": self.resource_id[camp.list_index],
            "message_ids": list(camp.message_ids),
            "segment_ids": [camp.segment_id] if camp.segment_id else [],
            "launch_type": launch.kind if launch else "regular",
            "audience_size": aux,
        }

    def _ed_error(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
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
        base = self._send_fields(prof, camp, launch)
        return {
            "message_id": base["message_id"],
            "campaign_id": camp.campaign_id,
            "resource_id": base["resource_id"],
            "launch_id": launch_id,
            "error_type": error_type,
            "error": message,
        }

    def _ed_audience(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        ed: dict[str, Any] = {
            "campaign_id": camp.campaign_id,
            "launch_id": launch.launch_id if launch else None,
            "resource_id": self.resource_id[camp.list_index],
            "segment_id": camp.segment_id,
        }
        if name.endswith("_group_assign"):
            ed["group"] = name.removeprefix("sc_").removesuffix("_group_assign")
        elif "gcg" in name:
            ed["gcg_id"] = 1 + camp.account
        return ed

    def _site(self, prof: int) -> str:
        return ACCOUNTS[self.p_account[prof]].site

    def _ed_popup(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        acct = self.p_account[prof]
        popup = aux % len(ref.POPUP_NAMES)
        ed: dict[str, Any] = {
            "popup_id": 300 + acct * 20 + popup,
            "popup_name": ref.POPUP_NAMES[popup],
            "page_url": f"{self._site(prof)}/{('catalog', 'cart', 'blog', '')[prof % 4]}",
        }
        if name == "popup_click":
            ed["element"] = ref.POPUP_ELEMENTS[aux2 % len(ref.POPUP_ELEMENTS)]
        elif name in ("popup_post", "popup_bounce"):
            ed["form_id"] = 500 + acct * 20 + popup
            ident = self._identity(prof)
            ed["fields"] = {"email": ident[3]} if ident[3] else {"phone": ident[4]}
            if name == "popup_bounce":
                ed["error"] = "502 Bad Gateway"
        elif name == "popup_error":
            ed["error"] = ref.POPUP_ERRORS[aux2 % len(ref.POPUP_ERRORS)]
        elif name == "popup_custom":
            ed["custom_event"] = ref.POPUP_CUSTOM[aux2 % len(ref.POPUP_CUSTOM)]
        ed["ip"] = self._fragments(prof)[3]
        ed["user_agent"] = ref.WEB_AGENTS[self.p_web[prof]].user_agent
        return ed

    def _ed_loyalty(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        acct = self.p_account[prof]
        levels = ref.LOYALTY_LEVELS
        level = self.p_key[prof] % len(levels)
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
            ed["card_number"] = f"{7000000000000 + self.p_key[prof] % 10**12:013d}"
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

    def _ed_promocode(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
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

    def _ed_pixel(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        if camp is not None:
            goal = "purchase" if aux % 3 else "signup"
        else:
            u = (aux % 10_000) / 10_000
            goal = PIXEL_GOAL_NAMES[int(np.searchsorted(PIXEL_GOAL_CUM, u, side="right"))]
        ed: dict[str, Any] = {
            "pixel_id": 40 + self.p_account[prof],
            "goal": goal,
            "value": round((aux % 30_000) / 100 + 3, 2) if goal == "purchase" else 0.0,
            "url": f"{self._site(prof)}/{'checkout/success' if goal == 'purchase' else 'catalog'}",
            "referer": ("https://www.google.com/", "https://yandex.ru/", "", "android-app://")[
                aux % 4
            ],
        }
        if camp is not None:
            ed["campaign_id"] = camp.campaign_id
        self._geo_agent(prof, flags, ed, True)
        return ed

    def _ed_import(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        source = name.removeprefix("import_")
        ed: dict[str, Any] = {
            "import_id": 7000 + aux,
            "source": source,
            "is_new_profile": aux2 == 2,
        }
        if source == "file":
            ed["file_name"] = f"customers_{aux:05d}.csv"
        return ed

    def _ed_segment(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        return {
            "segment_id": aux,
            "segment_name": f"Import #{7000 + aux2}",
            "import_id": 7000 + aux2,
        }

    def _ed_merge(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        ids = []
        for k in range(2 + aux % 2):
            mixed = ((aux + k * 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
            ids.append(f"{0x64000000 + (mixed >> 40) % 0x3000000:08x}{mixed:016x}")
        if name == "profile_merge":
            return {"merge_id": aux % 10**9, "merged_profile_ids": ids}
        return {"split_id": aux % 10**9, "split_profile_ids": ids}

    def _ed_gcg(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        return {"gcg_id": aux, "reason": "random_sample" if prof % 5 else "manual"}

    def _ed_api_unsub(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        return {
            "resource_id": self.resource_id[self.p_list[prof]],
            "channel": self.channel_name[chan] if chan >= 0 else None,
            "source": "api",
        }

    def _ed_generic(self, name, prof, chan, camp, launch, aux, aux2, flags) -> dict:
        ed: dict[str, Any] = {"value": aux}
        if camp is not None:
            ed["campaign_id"] = camp.campaign_id
        return ed


CHANNEL_EMAIL = CHANNELS.index("email")
CHANNEL_PUSH = CHANNELS.index("push")
PIXEL_GOAL_NAMES = [g for g, _ in ref.PIXEL_GOALS]
PIXEL_GOAL_CUM = np.cumsum([w for _, w in ref.PIXEL_GOALS]) / sum(w for _, w in ref.PIXEL_GOALS)


def _inner(obj: dict) -> bytes:
    return orjson.dumps(obj)[1:-1]


GEO_B = [_inner(g) for g in GEO_DICTS]
EMPTY_GEO_B = _inner(EMPTY_GEO)
WEB_AGENT_B = [_inner(a) for a in WEB_AGENT_DICTS]
APP_AGENT_B = [_inner(a) for a in APP_AGENT_DICTS]
PROXY_AGENT_B = _inner(PROXY_AGENT)
PROXY_IP_B = ref.PROXY_IP_PREFIX.encode()
STATUS_B = [orjson.dumps(s) for s in STATUSES]
TF = (b"false", b"true")
"""JSON booleans, indexed by a bool or a 0/1 flag."""
NULL_TF = {None: b"null", False: b"false", True: b"true"}
