"""`event_date` read as a UTC instant (`event_at`, microseconds) and checked: a record whose
date is not RFC 3339, or falls outside the years bronze can hold, is rejected with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
"""RFC 3339 date-time (section 5.6; a space for the `T` is allowed, as its note says)."""
FIRST_INSTANT, LAST_INSTANT = datetime(1, 1, 1, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
"""Bronze holds years 1 to 9999 in UTC, as Python's `datetime` (and so every reader) does; an
offset can carry a valid local time out: `0001-01-01T00:30:00+01:00` is year 0 in UTC."""
LEAP_SECOND = r"[Tt ]\d{2}:\d{2}:60"
"""A leap second (RFC 3339 allows second 60). It is read as the minute's last microsecond,
not as the next minute's first (as the parser reads it): `2016-12-31T23:59:60Z` stays on
2016-12-31, the day it names, and sorts after every other instant of that minute."""


def check_dates(frame: pl.DataFrame, rejects: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept, rejects): `event_date` parsed to UTC microseconds; a record whose date does not
    parse, or is not between `FIRST_INSTANT` and `LAST_INSTANT`, is rejected."""
    stamp = pl.col("event_date")
    parsed = stamp.str.to_datetime(format="%+", time_unit="us", time_zone="UTC", strict=False)
    in_leap_second = (parsed - pl.duration(seconds=1)).dt.truncate("1m") + pl.duration(
        seconds=59, microseconds=999_999
    )
    stamped = frame.with_columns(
        pl.when(~stamp.str.contains(RFC3339))
        .then(None)
        .when(stamp.str.contains(LEAP_SECOND))
        .then(in_leap_second)
        .otherwise(parsed)
        .alias("event_at")
    )
    held = pl.col("event_at").is_between(FIRST_INSTANT, LAST_INSTANT).fill_null(False)
    if (bad := stamped.filter(~held)).height == 0:
        return stamped, rejects
    invalid = pl.when(pl.col("event_at").is_null()).then(
        pl.lit("is not a valid RFC 3339 timestamp")
    )
    why = invalid.otherwise(pl.lit("is outside the years 1 to 9999 once in UTC"))
    error = pl.format("event_date {}: {}", why, stamp).alias("error")
    bad_rejects = bad.select("position", pl.col("record").alias("raw"), error)
    return stamped.filter(held), pl.concat([rejects, bad_rejects]).sort("position")
