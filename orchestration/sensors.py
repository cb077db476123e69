"""When runs start by themselves: the nightly schedule, and the landing sensor."""

import hashlib
import os

import dagster as dg
import polars as pl

from orchestration.dbt_assets import NEW_BATCHES_TAG, current_day_partition
from orchestration.ingest.bronze import read_manifest
from orchestration.ingest.discover import scan_landing
from orchestration.paths import DataHome
from orchestration.resources import DataHomeResource


def pending_landing_files(home: DataHome) -> list[tuple[str, int, int]]:
    """Accepted landing files not yet in bronze, as (path, size, mtime_ns).

    A cheap check by name and size: the ingest itself decides by content hash, so a file
    renamed after ingest only costs one run that adds nothing.
    """
    manifest = read_manifest(home.bronze)
    done = set(
        manifest.select("source_file", "size_bytes").iter_rows()
        if manifest.height
        else pl.DataFrame().iter_rows()
    )
    pending = []
    for landing_file in scan_landing(home.landing).accepted:
        stat = landing_file.path.stat()
        if (landing_file.relative, stat.st_size) not in done:
            pending.append((landing_file.relative, stat.st_size, stat.st_mtime_ns))
    return pending


def landing_sensor_for(job_name: str) -> dg.SensorDefinition:
    """The sensor, targeting the job that runs ingest and everything downstream."""

    @dg.sensor(
        name="landing_sensor",
        job_name=job_name,
        minimum_interval_seconds=60,
        description="Starts ingest and everything downstream when new landing files appear.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, data_home: DataHomeResource
    ) -> dg.SensorResult | dg.SkipReason:
        pending = pending_landing_files(data_home.home())
        if not pending:
            return dg.SkipReason("no new landing files")
        run_key = hashlib.sha256(repr(sorted(pending)).encode()).hexdigest()[:16]
        context.log.info(f"{len(pending)} new landing files; run key {run_key}")
        return dg.SensorResult(run_requests=[new_batches_run(run_key)])

    return landing_sensor


NIGHTLY_CRON_ENV = "HOOKHOUSE_NIGHTLY_CRON"
NIGHTLY_CRON = "0 2 * * *"


def new_batches_run(run_key: str | None = None) -> dg.RunRequest:
    """A run that ingests what landed and appends it, as `hookhouse run` does."""
    return dg.RunRequest(
        run_key=run_key, partition_key=current_day_partition(), tags=dict([NEW_BATCHES_TAG])
    )


def nightly_schedule_for(job_name: str) -> dg.ScheduleDefinition:
    """Every night (02:00 UTC, or the cron in HOOKHOUSE_NIGHTLY_CRON), the run job: ingest
    whatever landed and build what is new, as `hookhouse run` does. Catch-up is built in:
    a run picks up every batch since the last successful one, however many nights ago."""

    @dg.schedule(
        name="nightly",
        job_name=job_name,
        cron_schedule=os.environ.get(NIGHTLY_CRON_ENV, NIGHTLY_CRON),
        execution_timezone="UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Ingest new landing files and build every model downstream, nightly (UTC).",
    )
    def nightly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        return new_batches_run()

    return nightly
