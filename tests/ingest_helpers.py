"""What the ingest tests share: a hook event to vary, its NDJSON line, the rejects of a file."""

from __future__ import annotations

import json

import polars as pl

from orchestration.paths import DataHome
from tests.conftest import bronze_table


def event(event_type: object = "deliv", **fields: object) -> dict:
    base = {
        "event_type": event_type,
        "event_date": "2026-10-01T12:00:00.123456789Z",
        "account_id": 23,
        "profile_id": "66f66973096b3b454bbbccec",
        "list_id": 111,
        "is_test": False,
        "event_data": {"campaign_id": 973, "message_id": 17},
    }
    base.update(fields)
    return base


def line(obj: object) -> str:
    return json.dumps(obj, separators=(",", ":"))


def rejects_by_position(home: DataHome, source_file: str) -> dict[int, str]:
    rejects = bronze_table(home, "hook_rejects").filter(pl.col("source_file") == source_file)
    return dict(zip(rejects["position"].to_list(), rejects["error"].to_list(), strict=True))
