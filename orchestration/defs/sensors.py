"""The landing sensor: a run as soon as new landing files appear.

The receiver (`hookhouse serve`, `hookhouse consume`) makes a landing file visible only once it
is whole and on disk, so the sensor takes the receiver's files as soon as they are committed:
at the next tick (every 30 s). While a run of the job waits in the queue, the sensor asks for
no other: that run, once started, ingests every file landed by then.
"""

import hashlib

import dagster as dg
import polars as pl

from orchestration.defs.resources import DataHomeResource
from orchestration.defs.schedules import new_batches_run
from orchestration.ingest.bronze import read_manifest
from orchestration.ingest.discover import scan_landing
from orchestration.paths import DataHome

TICK_SECONDS = 30
WAITING = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED]


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
        minimum_interval_seconds=TICK_SECONDS,
        description="Starts ingest and everything downstream when new landing files appear.",
    )
    def landing_sensor(
        context: dg.SensorEvaluationContext, data_home: DataHomeResource
    ) -> dg.SensorResult | dg.SkipReason:
        home = data_home.home()
        pending = pending_landing_files(home)
        if not pending:
            return dg.SkipReason("no new landing files")
        waiting = context.instance.get_runs(
            dg.RunsFilter(job_name=job_name, statuses=WAITING), limit=1
        )
        if waiting:
            return dg.SkipReason(
                f"{len(pending)} new landing files; run {waiting[0].run_id} waits in the queue "
                "and will ingest them"
            )
        received = sum(1 for name, _, _ in pending if name.startswith("receiver/"))
        run_key = hashlib.sha256(repr(sorted(pending)).encode()).hexdigest()[:16]
        context.log.info(
            f"{len(pending)} new landing files ({received} from the receiver); run key {run_key}"
        )
        return dg.SensorResult(run_requests=[new_batches_run(run_key)])

    return landing_sensor
