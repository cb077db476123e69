"""The data-quality verdicts: thresholds as the issue states them."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.ingest.checks import (
    freshness_verdict,
    reject_ratio_verdict,
    unknown_types_verdict,
)

WARN = dg.AssetCheckSeverity.WARN
ERROR = dg.AssetCheckSeverity.ERROR


def test_rejects_warn_above_one_percent_and_fail_above_ten() -> None:
    assert reject_ratio_verdict(1000, 10).passed  # exactly 1%
    assert (reject_ratio_verdict(1000, 11).passed, reject_ratio_verdict(1000, 11).severity) == (
        False,
        WARN,
    )
    assert reject_ratio_verdict(1000, 100).severity == WARN  # exactly 10%
    failed = reject_ratio_verdict(1000, 101)
    assert (failed.passed, failed.severity) == (False, ERROR)
    assert "101 of 1000 records rejected (10.10%)" in failed.description
    assert reject_ratio_verdict(0, 0).passed


def test_unknown_event_types_warn_and_are_named() -> None:
    verdict = unknown_types_verdict({"send": 5, "brand_new": 3}, {"send"})
    assert (verdict.passed, verdict.severity) == (False, WARN)
    assert "brand_new (3)" in verdict.description
    assert unknown_types_verdict({"send": 5}, {"send"}).passed


def test_landing_older_than_26_hours_warns() -> None:
    now = 1_000_000.0
    assert freshness_verdict(now - 25 * 3600, now, 26).passed
    stale = freshness_verdict(now - 27 * 3600, now, 26)
    assert (stale.passed, stale.severity) == (False, WARN)
    assert not freshness_verdict(None, now, 26).passed
