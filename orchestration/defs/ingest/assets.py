"""The ingest step as Dagster assets: landing files -> the three bronze tables."""

from collections.abc import Iterator

import dagster as dg

from orchestration.defs.resources import DataHomeResource
from orchestration.ingest import IngestReport, ingest
from orchestration.names import (
    BRONZE_EVENTS_KEY,
    BRONZE_FILES_KEY,
    BRONZE_REJECTS_KEY,
    INGEST_STEP,
    LANDING_KEY,
    OWNERS,
    RECEIVER_LANDING_KEY,
)
from orchestration.warehouse.lock import warehouse_lock

RECEIVER_LANDING = dg.AssetSpec(
    key=dg.AssetKey(RECEIVER_LANDING_KEY),
    group_name="ingest",
    description=(
        "`$HOOKHOUSE_HOME/landing/receiver/`: Altcraft's hooks as `hookhouse serve` (HTTP JSON "
        "batches, in `http/`) and `hookhouse consume rabbitmq` (in `rabbitmq/<queue>/`) commit "
        "them: NDJSON files that appear whole, each only once every batch in it is on disk. Not "
        "materialized by hookhouse: it is the graph's source."
    ),
    kinds={"http", "rabbitmq"},
    owners=list(OWNERS),
)

LANDING = dg.AssetSpec(
    key=dg.AssetKey(LANDING_KEY),
    deps=[RECEIVER_LANDING],
    group_name="ingest",
    description=(
        "Raw action-hook dumps in `$HOOKHOUSE_HOME/landing/`: what hookhouse's receiver "
        "commits (`landing/receiver/`), and what any other consumer drops there: NDJSON from "
        "Kafka or RabbitMQ consumers, JSON arrays from HTTP batches, optionally gzipped. Not "
        "materialized by hookhouse."
    ),
    kinds={"json"},
    owners=list(OWNERS),
)

BRONZE_EVENTS = dg.AssetKey(BRONZE_EVENTS_KEY)
BRONZE_REJECTS = dg.AssetKey(BRONZE_REJECTS_KEY)
BRONZE_FILES = dg.AssetKey(BRONZE_FILES_KEY)

SKIPPED_SHOWN = 200
"""At most this many skipped landing entries are named in the metadata (all are counted, and
all are named in the ingest's log)."""


def report_metadata(report: IngestReport) -> dict[str, dg.MetadataValue]:
    """What the UI shows for a bronze materialization."""
    days = report.event_days
    return {
        "new_files": dg.MetadataValue.int(len(report.files)),
        "records": dg.MetadataValue.int(report.records),
        "kept": dg.MetadataValue.int(report.kept),
        "rejected": dg.MetadataValue.int(report.rejected),
        "wrong_typed_optional_fields": dg.MetadataValue.int(report.type_errors),
        "erased_records": dg.MetadataValue.int(report.erased),
        "already_ingested_files": dg.MetadataValue.int(len(report.already_ingested)),
        "ignored_files": dg.MetadataValue.int(len(report.ignored)),
        "ignored_file_names": dg.MetadataValue.text("\n".join(report.ignored[:50])),
        "skipped_entries": dg.MetadataValue.int(len(report.skipped)),
        "skipped_entry_reasons": dg.MetadataValue.text(
            "\n".join(str(entry) for entry in report.skipped[:SKIPPED_SHOWN])
        ),
        "damaged_files": dg.MetadataValue.text(
            "\n".join(f.source_file for f in report.files if f.damaged)
        ),
        "megabytes_read": dg.MetadataValue.float(round(report.bytes_read / 1e6, 3)),
        "seconds": dg.MetadataValue.float(round(report.seconds, 3)),
        "first_event_day": dg.MetadataValue.text(str(days[0]) if days else ""),
        "last_event_day": dg.MetadataValue.text(str(days[1]) if days else ""),
        "batches": dg.MetadataValue.text(", ".join(report.batch_ids)),
    }


@dg.multi_asset(
    name=INGEST_STEP,
    specs=[
        dg.AssetSpec(
            BRONZE_EVENTS,
            deps=[LANDING],
            description="One row per kept hook record: typed envelope plus the whole record.",
            kinds={"polars", "parquet"},
            owners=list(OWNERS),
        ),
        dg.AssetSpec(
            BRONZE_REJECTS,
            deps=[LANDING],
            description="One row per rejected record: source file, position, raw text, reason.",
            kinds={"polars", "parquet"},
            owners=list(OWNERS),
        ),
        dg.AssetSpec(
            BRONZE_FILES,
            deps=[LANDING],
            description="One row per landing file read: its content hash and record counts.",
            kinds={"polars", "parquet"},
            owners=list(OWNERS),
        ),
    ],
    group_name="ingest",
    description="Ingest every landing file not ingested before into bronze Parquet (Polars).",
)
def ingest_landing(
    context: dg.AssetExecutionContext, data_home: DataHomeResource
) -> Iterator[dg.MaterializeResult]:
    home = data_home.home()
    # Two ingests at once would both take the same new files: one writer at a time.
    with warehouse_lock(home, on_wait=context.log.warning, purpose=f"run {context.run.run_id}"):
        report = ingest(home, log=context.log.info)
    context.log.info(report.summary())
    # And on stdout: `hookhouse run` keeps it in logs/last-run.log (the terminal, with -v), the
    # UI in the step's captured stdout.
    print(report.summary(), flush=True)
    metadata = report_metadata(report)
    for asset_key in (BRONZE_EVENTS, BRONZE_REJECTS):
        yield dg.MaterializeResult(asset_key=asset_key, metadata=metadata)
    yield dg.MaterializeResult(asset_key=BRONZE_FILES, metadata=metadata)
