"""The string identity of profiles (ids, hashes, addresses, tokens), computed on demand.

Computing them from the columnar attributes keeps memory flat however many profiles exist.
"""

from __future__ import annotations

import hashlib

import xxhash

import orchestration.generate.reference as ref
from orchestration.generate.constants import CH
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import Profiles


class ProfileStrings:
    """The string identity of profiles, computed on demand from the columnar attributes."""

    def __init__(self, profiles: Profiles) -> None:
        self.p = profiles

    def identity(self, i: int) -> tuple[str, str, str, str | None, str | None]:
        """(profile_id, _xxh, _md5, email or None, phone or None)."""
        p = self.p
        key = int(p.key[i])
        profile_id = f"{int(p.oid_ts[i]) & 0xFFFFFFFF:08x}{key & 0xFFFFFFFFFFFFFFFF:016x}"
        email = self.email(i) if p.has[i, CH["email"]] else None
        phone = self.phone(i)
        basis = (email or phone).encode()
        return (
            profile_id,
            xxhash.xxh64_hexdigest(basis),
            hashlib.md5(basis).hexdigest(),
            email,
            phone if (p.has[i, CH["sms"]] or email is None) else None,
        )

    def email(self, i: int) -> str:
        p = self.p
        if p.internal[i]:
            site = ACCOUNTS[int(p.account[i])].site.split("//", 1)[1].removeprefix("www.")
            return f"qa{i}@{site}"
        first = ref.FIRST_NAMES[int(p.first[i])]
        last = ref.LAST_NAMES[int(p.last[i])]
        domain = ref.EMAIL_DOMAINS[int(p.domain[i])][0]
        style = int(p.style[i])
        if style == 0:
            local = f"{first}.{last}{i}"
        elif style == 1:
            local = f"{first[0]}{last}{i}"
        elif style == 2:
            local = f"{last}_{first}{i % 97}x{i}"
        else:
            local = f"{first}{i}"
        return f"{local}@{domain}"

    def phone(self, i: int) -> str:
        geo = ref.GEOS[int(self.p.geo[i])]
        digits = 11 if geo.phone_prefix[:2] in ("+7", "+1") else 12  # E.164 length, roughly
        tail_len = digits - (len(geo.phone_prefix) - 1)
        return f"{geo.phone_prefix}{int(self.p.phone[i]) % 10**tail_len:0{tail_len}d}"

    def ip(self, i: int) -> str:
        geo = ref.GEOS[int(self.p.geo[i])]
        v = int(self.p.ip[i])
        return f"{geo.ip_prefix}.{v >> 8 & 0xFF}.{v & 0xFF or 1}"

    def push_token(self, i: int) -> tuple[str, str]:
        key = int(self.p.key[i])
        provider = ref.PUSH_PROVIDERS[int(self.p.provider[i])][0]
        token = f"{key ^ 0x5DEECE66D:016x}{(key * 0x9E3779B1) & 0xFFFFFFFFFFFF:012x}"
        if provider.startswith("ios") and provider != "iosfirebase":
            return token + token[::-1], provider
        return f"{token[:11]}:APA91b{token[11:]}{token[:9]}", provider

    def subscription_hash(self, i: int, channel: int) -> str:
        key = int(self.p.key[i])
        mixed = (key ^ (channel + 1) * 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9
        return f"{(mixed >> 11) & 0xFFFFFFFFFFFFF:013x}"
