"""The nightly schedule, and the run request every automatic run makes: append new batches."""

import os

import dagster as dg

from orchestration.defs.partitions import current_day_partition
from orchestration.names import NEW_BATCHES_TAG

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
