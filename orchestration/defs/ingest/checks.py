"""Data-quality checks beyond the dbt tests (which dagster-dbt turns into asset checks).

- reject ratio of a run's records (from the ingest materialization's metadata): warn above
  1%, fail above 10% (a blocking check: the models are not built on such a batch);
- event types in bronze that the event catalog does not know (they are kept, family
  `unknown`): warn;
- landing freshness: no new landing file for 26 hours warns (HOOKHOUSE_LANDING_STALE_HOURS).
Thresholds are here; the pure evaluations first, the Dagster checks last.
"""

import os
import time
from dataclasses import dataclass

import dagster as dg
import duckdb

from orchestration.bronze_layout import EVENTS, bronze_table
from orchestration.catalog import by_type
from orchestration.defs.ingest.assets import BRONZE_EVENTS, LANDING
from orchestration.defs.resources import DataHomeResource
from orchestration.ingest.discover import scan_landing
from orchestration.paths import DataHome

REJECT_WARN_RATIO = 0.01
REJECT_FAIL_RATIO = 0.10
LANDING_STALE_HOURS_ENV = "HOOKHOUSE_LANDING_STALE_HOURS"
LANDING_STALE_HOURS = 26.0


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: passed, or a warning or an error, and why."""

    passed: bool
    severity: dg.AssetCheckSeverity
    description: str


def reject_ratio_verdict(records: int, rejected: int) -> Verdict:
    """Rejected records as a share of a run's records."""
    if records == 0:
        return Verdict(True, dg.AssetCheckSeverity.WARN, "no new records in this run")
    ratio = rejected / records
    text = f"{rejected} of {records} records rejected ({ratio:.2%})"
    if ratio > REJECT_FAIL_RATIO:
        return Verdict(
            False,
            dg.AssetCheckSeverity.ERROR,
            f"{text}, above {REJECT_FAIL_RATIO:.0%}: has the hook format changed? "
            "See bronze.hook_rejects for the reasons; the models were not built.",
        )
    if ratio > REJECT_WARN_RATIO:
        return Verdict(
            False,
            dg.AssetCheckSeverity.WARN,
            f"{text}, above {REJECT_WARN_RATIO:.0%}; see bronze.hook_rejects",
        )
    return Verdict(True, dg.AssetCheckSeverity.WARN, text)


def unknown_types_verdict(counts: dict[str, int], known: set[str]) -> Verdict:
    """Event types received that the catalog does not know."""
    unknown = {name: n for name, n in counts.items() if name not in known}
    if not unknown:
        return Verdict(True, dg.AssetCheckSeverity.WARN, "every event type is in the catalog")
    listed = ", ".join(f"{name} ({n})" for name, n in sorted(unknown.items(), key=lambda x: -x[1]))
    return Verdict(
        False,
        dg.AssetCheckSeverity.WARN,
        f"{len(unknown)} event types are not in seeds/event_catalog.csv: {listed[:1000]}. "
        "Their events are kept with family `unknown`; add a catalog line for each.",
    )


def freshness_verdict(newest_mtime: float | None, now: float, stale_hours: float) -> Verdict:
    """Whether a landing file arrived within `stale_hours`."""
    if newest_mtime is None:
        return Verdict(False, dg.AssetCheckSeverity.WARN, "the landing folder holds no dump")
    age_hours = (now - newest_mtime) / 3600
    text = f"newest landing file is {age_hours:.1f} hours old"
    if age_hours > stale_hours:
        return Verdict(
            False,
            dg.AssetCheckSeverity.WARN,
            f"{text}: no new file for more than {stale_hours:g} hours; is the hook "
            "consumer still writing to the landing folder?",
        )
    return Verdict(True, dg.AssetCheckSeverity.WARN, text)


def check_result(verdict: Verdict, **metadata: float | int | str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=verdict.passed,
        severity=verdict.severity,
        description=verdict.description,
        metadata=dict(metadata),
    )


def event_type_counts(home: DataHome) -> dict[str, int]:
    """Kept records per event type, over all of bronze (one column of the Parquet files)."""
    events = bronze_table(EVENTS)
    if not events.files(home.bronze):
        return {}
    with duckdb.connect() as connection:
        parts = events.glob(home.bronze)
        rows = connection.execute(
            f"select event_type, count(*) from read_parquet('{parts}') group by 1"
        ).fetchall()
    return {name: count for name, count in rows}


def newest_landing_mtime(home: DataHome) -> float | None:
    files = scan_landing(home.landing).accepted if home.landing.exists() else []
    return max((f.path.stat().st_mtime for f in files), default=None)


@dg.asset_check(
    asset=BRONZE_EVENTS,
    name="reject_ratio",
    blocking=True,
    description=f"Rejected records of the latest ingest: warn above {REJECT_WARN_RATIO:.0%}, "
    f"fail above {REJECT_FAIL_RATIO:.0%} (then the models downstream are not built).",
)
def reject_ratio(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    event = context.instance.get_latest_materialization_event(BRONZE_EVENTS)
    materialization = event.asset_materialization if event else None
    metadata = {
        k: v.value for k, v in (materialization.metadata if materialization else {}).items()
    }
    records = int(str(metadata.get("records") or 0))
    rejected = int(str(metadata.get("rejected") or 0))
    return check_result(reject_ratio_verdict(records, rejected), records=records, rejected=rejected)


@dg.asset_check(
    asset=BRONZE_EVENTS,
    name="event_types_in_catalog",
    description="Warns when bronze holds event types the event catalog does not know.",
)
def event_types_in_catalog(data_home: DataHomeResource) -> dg.AssetCheckResult:
    counts = event_type_counts(data_home.home())
    verdict = unknown_types_verdict(counts, set(by_type()))
    return check_result(verdict, event_types=len(counts))


@dg.asset_check(
    asset=LANDING.key,
    name="landing_freshness",
    description=f"Warns when no new landing file arrived for {LANDING_STALE_HOURS:g} hours "
    f"({LANDING_STALE_HOURS_ENV}).",
)
def landing_freshness(data_home: DataHomeResource) -> dg.AssetCheckResult:
    stale_hours = float(os.environ.get(LANDING_STALE_HOURS_ENV, LANDING_STALE_HOURS))
    newest = newest_landing_mtime(data_home.home())
    verdict = freshness_verdict(newest, time.time(), stale_hours)
    return check_result(verdict, stale_after_hours=stale_hours)
