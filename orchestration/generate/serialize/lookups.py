"""`Lookups`: the world as plain Python lists, and each profile's JSON fragments, cached.

Indexing a list with a Python int is much faster than indexing a numpy array, and one profile
recurs in many events; the fragments are bounded by the number of profiles.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from orchestration.catalog import STATUSES
from orchestration.generate.constants import CHANNELS, N_CHANNELS
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import World
from orchestration.generate.world.strings import ProfileStrings

Fragments = tuple[bytes, bytes, str, str]
"""A profile's envelope fragments in its producer's key order, its profile_id and IP address:
(head, second, profile_id, ip); see `fast_path` for where head and second go."""
SubFragments = tuple[bytes, bytes, bytes]
"""(subscription_hash_id, subscription element JSON before the status, after it)."""


class Identity(NamedTuple):
    """A profile's identity fields as the dict path writes them."""

    profile_id: str
    xxh: str
    md5: str
    email: str | None
    phone: str | None
    custom_data: dict[str, Any]
    ip: str


class Lookups:
    """Per-world lookup lists and per-profile caches; one instance per worker."""

    def __init__(self, world: World) -> None:
        p = world.profiles
        self.campaigns = world.campaigns
        self.strings = ProfileStrings(p)
        self.channel_name = list(CHANNELS)
        self.status_name = list(STATUSES)
        self.producer_of_account = [a.producer for a in ACCOUNTS]
        self.platform_of_account = [a.platform for a in ACCOUNTS]
        self.account_id = [a.account_id for a in ACCOUNTS]
        self.list_id = [spec.list_id for _, spec in world.lists]
        self.resource_id = [spec.resource_id for _, spec in world.lists]
        self.p_account: list[int] = p.account.tolist()
        self.p_list: list[int] = p.list_index.tolist()
        self.p_deleted: list[bool] = p.deleted.tolist()
        self.p_geo: list[int] = p.geo.tolist()
        self.p_web: list[int] = p.web_agent.tolist()
        self.p_app: list[int] = p.app_agent.tolist()
        self.p_key: list[int] = p.key.tolist()
        self.p_chat: list[int] = p.chat.tolist()
        self.frags: list[Fragments | None] = [None] * p.n
        self.sub_frags: list[SubFragments | None] = [None] * (p.n * N_CHANNELS)

    def fragments(self, i: int) -> Fragments:
        """Cached envelope fragments of a profile (see `Fragments`)."""
        got = self.frags[i]
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
            head = b'{"_md5":"%s","_xxh":"%s","account_id":%d,"custom_data":%s,"event_data":' % (
                md5.encode(),
                xxh.encode(),
                acct,
                custom_b,
            )
            second = b',"list_id":%d,"profile_id":"%s",' % (list_id, pid.encode())
        elif style == "http":
            head = b'"list_id":%d,"account_id":%d,"_xxh":"%s","_md5":"%s","event_data":' % (
                list_id,
                acct,
                xxh.encode(),
                md5.encode(),
            )
            second = b'"custom_data":%s,"profile_id":"%s","is_test":' % (custom_b, pid.encode())
        else:
            head = b'"profile_id":"%s","_xxh":"%s","_md5":"%s","list_id":%d,"account_id":%d,' % (
                pid.encode(),
                xxh.encode(),
                md5.encode(),
                list_id,
                acct,
            )
            second = b'"custom_data":%s,' % custom_b
        got = (head, second, pid, self.strings.ip(i))
        self.frags[i] = got
        return got

    def sub_fragments(self, i: int, chan: int) -> SubFragments:
        """Cached subscription fragments of a profile's subscription (see `SubFragments`)."""
        key = i * N_CHANNELS + chan
        got = self.sub_frags[key]
        if got is not None:
            return got
        hash_id, elem = self.subscription(i, chan, 0)
        placeholder = dict(elem)
        placeholder["status"] = "__STATUS__"
        sort = self.producer_of_account[self.p_account[i]] == "rmq"
        text = orjson.dumps(placeholder, option=orjson.OPT_SORT_KEYS if sort else 0)
        before, after = text.split(b'"__STATUS__"')
        got = (hash_id.encode(), before, after)
        self.sub_frags[key] = got
        return got

    def identity(self, i: int) -> Identity:
        """A profile's identity fields; not cached (the dict path is the rare one)."""
        pid, xxh, md5, email, phone = self.strings.identity(i)
        return Identity(pid, xxh, md5, email, phone, {"email": email}, self.fragments(i)[3])

    def subscription(self, i: int, chan: int, status: int) -> tuple[str, dict[str, Any]]:
        """(subscription_hash_id, subscription element) of a profile's subscription."""
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
