"""What names a person, and which bronze records are theirs.

A person is named by a profile id, an email address or a phone number. Each is compared in a
normal form (an address trimmed and lower-cased, a phone number its digits alone, a profile
id trimmed) and by keyed hash (`keys.keyed_hash` of `kind:normal form`), so that what is kept
to recognise an erased person later (bronze/erasures) is the hash, never the identifier.

A record is the person's when its `profile_id` is, or when one of its JSON string values is
their address or phone number: every string value shaped like an address (`x@y`) or a phone
number (a `+` maybe, then 7 to 20 digits, spaces, dashes or brackets) is hashed and looked up.
Rejects, which may not be JSON, are matched the same way in their raw text, their profile id
taken from a `"profile_id": "..."` in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import polars as pl

from orchestration.privacy.keys import keyed_hash

Kind = Literal["profile_id", "email", "phone"]
KINDS: tuple[Kind, ...] = get_args(Kind)

EMAIL_VALUE = r'"[^"\\\s@]+@[^"\\\s@]+"'
PHONE_VALUE = r'"\+?[0-9][0-9 ()\-]{5,18}[0-9]"'
PROFILE_IN_TEXT = r'"profile_id"\s*:\s*"([^"\\]+)"'


def normal_form(kind: Kind, value: str) -> str:
    if kind == "email":
        return value.strip().lower()
    if kind == "phone":
        return "".join(character for character in value if character.isdigit())
    return value.strip()


@dataclass(frozen=True)
class Identifier:
    """One identifier of a person, as given."""

    kind: Kind
    value: str

    def __post_init__(self) -> None:
        if not normal_form(self.kind, self.value):
            raise ValueError(f"an empty {self.kind}: {self.value!r}")
        if self.kind == "email" and "@" not in self.value:
            raise ValueError(f"not an email address: {self.value!r}")

    def hashed(self, key: bytes) -> str:
        return hash_of(key, self.kind, self.value)


def hash_of(key: bytes, kind: Kind, value: str) -> str:
    return keyed_hash(key, f"{kind}:{normal_form(kind, value)}")


@dataclass(frozen=True)
class ErasedSet:
    """The keyed hashes of erased people's identifiers, and the key that made them."""

    key: bytes
    hashes: frozenset[str]

    def events_mask(self, events: pl.DataFrame) -> pl.Series:
        """True for each hook_events row (`profile_id`, `record`) of an erased person."""
        return self._mask(events["record"], events["profile_id"])

    def rejects_mask(self, rejects: pl.DataFrame) -> pl.Series:
        """True for each hook_rejects row (`raw`) that names an erased person."""
        raw = rejects["raw"]
        return self._mask(raw, raw.str.extract(PROFILE_IN_TEXT, 1))

    def _mask(self, texts: pl.Series, profile_ids: pl.Series) -> pl.Series:
        mask = profile_ids.is_in(self._matching("profile_id", profile_ids).implode()).fill_null(
            False
        )
        shapes: tuple[tuple[Kind, str], ...] = (("email", EMAIL_VALUE), ("phone", PHONE_VALUE))
        for kind, shape in shapes:
            values = texts.str.extract_all(shape)
            matching = self._matching(kind, values.explode().drop_nulls())
            if matching.len():
                hit = values.list.eval(pl.element().is_in(pl.lit(matching.implode()))).list.any()
                mask = mask | hit.fill_null(False)
        return mask.alias("erased")

    def _matching(self, kind: Kind, values: pl.Series) -> pl.Series:
        """The distinct `values` (JSON strings keep their quotes) whose hash is erased."""
        found: list[str] = []
        for value in values.drop_nulls().unique().to_list():
            if hash_of(self.key, kind, value.strip('"')) in self.hashes:
                found.append(value)
        return pl.Series(found, dtype=pl.String)
