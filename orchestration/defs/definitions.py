"""The Dagster definitions: every hookhouse asset, check, job, schedule and sensor, in one place.

`workspace.yaml` and `dg` (`[tool.dg]` in pyproject.toml) load `defs` from this module;
`hookhouse run` executes the same `hookhouse_run` job in-process, so the command line, the
schedule, the sensor and the UI run one code path. The policy that spans the pieces is here
too: which assets the job runs, the writer tag every run carries (one writer at a time), and
how `hookhouse run` launches it (as the schedule and the sensor do).
"""

from collections.abc import Mapping
from typing import Any

import dagster as dg

from orchestration.defs.dbt.assets import dbt_core, dbt_marts
from orchestration.defs.dbt.project import DBT_EXECUTABLE, DBT_PROJECT
from orchestration.defs.ingest.assets import LANDING, RECEIVER_LANDING, ingest_landing
from orchestration.defs.ingest.checks import event_types_in_catalog, landing_freshness, reject_ratio
from orchestration.defs.partitions import current_day_partition
from orchestration.defs.resources import DataHomeResource, HookhouseDbtCliResource
from orchestration.defs.schedules import nightly_schedule_for
from orchestration.defs.sensors import landing_sensor_for
from orchestration.names import NEW_BATCHES_TAG, RUN_JOB_NAME, WRITER_TAG

hookhouse_run = dg.define_asset_job(
    RUN_JOB_NAME,
    selection=(
        dg.AssetSelection.all() - dg.AssetSelection.assets(LANDING.key, RECEIVER_LANDING.key)
        | dg.AssetSelection.checks(landing_freshness)
    ),
    description=(
        "Ingest new landing files, then build and test every model downstream. Tagged "
        "hookhouse/build=new-batches (nightly, sensor, `hookhouse run`): append what is new. "
        "Launched for a range of event days (a backfill): rebuild exactly those days, in one "
        "dbt run."
    ),
    # Runs that write the warehouse never overlap: dagster.yaml limits this tag to one run.
    tags=dict([WRITER_TAG]),
)

defs = dg.Definitions(
    assets=[RECEIVER_LANDING, LANDING, ingest_landing, dbt_core, dbt_marts],
    asset_checks=[reject_ratio, event_types_in_catalog, landing_freshness],
    jobs=[hookhouse_run],
    schedules=[nightly_schedule_for(RUN_JOB_NAME)],
    sensors=[landing_sensor_for(RUN_JOB_NAME)],
    resources={
        "data_home": DataHomeResource(),
        "dbt": HookhouseDbtCliResource(
            project_dir=str(DBT_PROJECT.project_dir),
            profiles_dir=str(DBT_PROJECT.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        ),
    },
)


def execute_run(
    instance: dg.DagsterInstance,
    run_config: Mapping[str, Any] | None = None,
    resources: Mapping[str, Any] | None = None,
    *,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """`hookhouse run`: the run job in-process, launched as the schedule and the sensor launch
    it (new batches, today's partition)."""
    return defs.resolve_job_def(RUN_JOB_NAME).execute_in_process(
        run_config=dict(run_config or {}),
        instance=instance,
        resources=resources,
        partition_key=current_day_partition(),
        tags=dict([NEW_BATCHES_TAG]),
        raise_on_error=raise_on_error,
    )
