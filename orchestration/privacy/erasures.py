"""The audit of erasures: `bronze/erasures`, one row per identifier a `hookhouse forget` erased.

Each row holds the identifier's kind and keyed hash (`identifiers.Identifier.hashed`), never
the identifier; what the run removed for it; and when. It is a bronze table (declared in
`vars.bronze_tables`, so the warehouse shows it as the view `bronze.erasures`) because bronze
is what outlives every rebuild, and because ingest reads it: a later delivery of an erased
person's events is dropped (`erased_set`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from orchestration.bronze_layout import ERASURES, bronze_table
from orchestration.paths import DataHome
from orchestration.privacy.erasure_schema import ERASURES_SCHEMA
from orchestration.privacy.identifiers import ErasedSet
from orchestration.privacy.keys import key_path, load_key


class KeyMissing(RuntimeError):
    """Bronze has erasures but the key that hashed them is gone: erased people could not be
    recognised, so nothing is ingested until the key is back."""


def new_erasure_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def read_erasures(bronze: Path) -> pl.DataFrame:
    parts = bronze_table(ERASURES).files(bronze)
    if not parts:
        return pl.DataFrame(schema=ERASURES_SCHEMA)
    return pl.concat([pl.read_parquet(part) for part in parts], how="vertical_relaxed")


def erased_set(home: DataHome) -> ErasedSet | None:
    """The hashes of everyone erased, for the ingest to drop; None when nobody was."""
    hashes = frozenset(read_erasures(home.bronze)["identifier_hash"].to_list())
    if not hashes:
        return None
    key = load_key(home, create=False)
    if key is None:
        raise KeyMissing(
            f"bronze/erasures lists erased people, but the personal-data key {key_path(home)} "
            "is missing: restore it (or set HOOKHOUSE_PII_KEY_FILE) before ingesting"
        )
    return ErasedSet(key, hashes)
