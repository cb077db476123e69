"""A dbt-duckdb plugin: the keyed hash of personal data, as SQL functions of dbt's connection.

With `HOOKHOUSE_HASH_PERSONAL_DATA=1`, core holds keyed hashes instead of email addresses and
phone numbers (macros/personal_data.sql). DuckDB has no HMAC; a `sha256(key || value)` in SQL
would write the key into every compiled model under target/ and into DuckDB's query text.
These functions read the key from its file (`keys.load_key`) in dbt's own process instead,
so the key never leaves it, and the hash is the HMAC-SHA256 the audit of erasures uses
(`identifiers.hash_of`): a hashed address in core is the hash `hookhouse forget` records.

- `hookhouse_pii_hash(kind, value)`: the hash of one value (`kind`: email, phone);
- `hookhouse_pii_redact(json_text)`: the text with each JSON string value shaped like an
  address (`x@y`) or a phone number (`+` and digits) replaced by its hash.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from orchestration.paths import DataHome
from orchestration.privacy.identifiers import Kind, hash_of
from orchestration.privacy.keys import load_key

HASH_ENV = "HOOKHOUSE_HASH_PERSONAL_DATA"

_SHAPES: list[tuple[Kind, re.Pattern[str]]] = [
    ("email", re.compile(r'"([^"\\\s@]+@[^"\\\s@]+)"')),
    ("phone", re.compile(r'"(\+[0-9][0-9 ()\-]{5,18}[0-9])"')),
]


def hashing_enabled() -> bool:
    return os.environ.get(HASH_ENV, "").strip() == "1"


class Plugin(BasePlugin):
    """Registers the functions on each connection dbt opens, when hashing is enabled."""

    def configure_connection(self, conn: Any) -> None:
        if not hashing_enabled():
            return
        key = load_key(DataHome.from_env())
        assert key is not None

        def pii_hash(kind: str, value: str) -> str:
            return hash_of(key, kind, value)  # type: ignore[arg-type]

        def hashed(kind: Kind) -> Callable[[re.Match[str]], str]:
            return lambda found: f'"{hash_of(key, kind, found[1])}"'

        def pii_redact(text: str) -> str:
            for kind, shape in _SHAPES:
                text = shape.sub(hashed(kind), text)
            return text

        conn.create_function("hookhouse_pii_hash", pii_hash, ["VARCHAR", "VARCHAR"], "VARCHAR")
        conn.create_function("hookhouse_pii_redact", pii_redact, ["VARCHAR"], "VARCHAR")
