"""The Dagster definitions: every hookhouse asset, job and sensor, assembled in one place.

`workspace.yaml` loads this module; `hookhouse run` executes the same `hookhouse_run` job
in-process, so the command line, the sensor and the UI run one code path.
"""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_assets import DBT_EXECUTABLE, DBT_PROJECT, dbt_models
from orchestration.ingest_assets import LANDING, ingest_landing
from orchestration.resources import DataHomeResource
from orchestration.sensors import landing_sensor_for

RUN_JOB_NAME = "hookhouse_run"

hookhouse_run = dg.define_asset_job(
    RUN_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.assets(LANDING.key),
    description="Ingest new landing files, then build and test every model downstream.",
)

defs = dg.Definitions(
    assets=[LANDING, ingest_landing, dbt_models],
    jobs=[hookhouse_run],
    sensors=[landing_sensor_for(RUN_JOB_NAME)],
    resources={
        "data_home": DataHomeResource(),
        "dbt": DbtCliResource(
            project_dir=DBT_PROJECT,
            profiles_dir=str(DBT_PROJECT.profiles_dir),
            dbt_executable=DBT_EXECUTABLE,
        ),
    },
)
