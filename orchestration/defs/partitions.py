"""The daily partitions of the day-partitioned models, and the partition a new-batches run
is launched for."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import dagster as dg

FIRST_EVENT_DAY_ENV = "HOOKHOUSE_FIRST_EVENT_DAY"
EVENT_DAYS = dg.DailyPartitionsDefinition(
    start_date=os.environ.get(FIRST_EVENT_DAY_ENV, "2025-01-01"),
    end_offset=1,  # today's events arrive today: its partition exists from 00:00 UTC
    timezone="UTC",
)
"""Daily partitions on the UTC event day, for the models that say `partitioned_by: event_day`.
The first day only bounds what the UI offers to backfill (HOOKHOUSE_FIRST_EVENT_DAY)."""


def current_day_partition() -> str:
    """The partition a new-batches run is launched for: today, UTC."""
    return datetime.now(UTC).date().isoformat()
