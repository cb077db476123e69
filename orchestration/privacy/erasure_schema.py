"""The columns of `bronze/erasures`, apart from the code that writes it (`erasures`), so that
the ingest's rows module can give the table its empty part without importing the ingest."""

from __future__ import annotations

import polars as pl

ERASURES_SCHEMA: dict[str, pl.DataType] = {
    "erasure_id": pl.String(),
    "erased_at": pl.Datetime("us", "UTC"),
    "identifier_kind": pl.String(),
    "identifier_hash": pl.String(),
    "events_removed": pl.Int64(),
    "rejects_removed": pl.Int64(),
}
"""One row per identifier a forget erased: its kind and keyed hash, what was removed for it."""
