"""Names many modules share: asset keys, run tags, the job and its steps.

The bottom of the import graph: plain strings and tuples, no Dagster, no dbt. The Dagster
definitions (`orchestration/defs/`) turn them into `AssetKey`s and tags; the command line,
the run summary and the tests refer to the same names without importing Dagster code.
"""

from __future__ import annotations

LANDING_KEY = ("landing", "hook_dumps")
"""The landing folder's dumps, not materialized by hookhouse."""
RECEIVER_LANDING_KEY = ("landing", "receiver")
"""The graph's source: `landing/receiver/`, where `hookhouse serve` and `hookhouse consume`
commit the hooks they receive (a part of the landing folder)."""
BRONZE_EVENTS_KEY = ("bronze", "hook_events")
BRONZE_REJECTS_KEY = ("bronze", "hook_rejects")
BRONZE_FILES_KEY = ("bronze", "ingested_files")

RUN_JOB_NAME = "hookhouse_run"
"""The job `hookhouse run`, the nightly schedule and the landing sensor run."""

INGEST_STEP = "ingest_landing"
DBT_CORE_STEP = "dbt_core"
"""Builds the seed, the staging view and the day-partitioned core tables."""
DBT_MARTS_STEP = "dbt_marts"
"""Builds the marts (unpartitioned) from the core tables."""
DBT_STEPS = (DBT_CORE_STEP, DBT_MARTS_STEP)

NEW_BATCHES_TAG = ("hookhouse/build", "new-batches")
"""Tags a run that appends new batches (the nightly way). Such a run is launched for the
current UTC day's partition, since a partitioned step runs only in a partitioned run."""
WRITER_TAG = ("hookhouse/warehouse", "writer")
"""Tags every run that writes the warehouse; the instance's run queue runs one at a time."""

OWNERS = ("team:data-engineering",)
"""Who answers for the ingest assets (the dbt models say theirs in dbt_project.yml)."""

EXIT_BUSY = 75
"""The exit code of `hookhouse run --no-wait` while another process writes the warehouse
(EX_TEMPFAIL)."""
