"""What a dbt materialization carries beside dagster-dbt's own metadata: the rows of its
table, the run's new and duplicate deliveries (core.hook_events) and the campaign summary
(marts.campaign_performance), read from the warehouse once dbt has exited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dagster as dg

from orchestration.paths import DataHome
from orchestration.warehouse.build_plan import BuildPlan
from orchestration.warehouse.tables import (
    CAMPAIGN_SUMMARY_COLUMNS,
    CAMPAIGN_SUMMARY_TABLE,
    campaign_summary_rows,
    new_event_counts,
    row_counts,
)


def _table_name(key: dg.AssetKey) -> str:
    return ".".join(key.path)


def campaign_summary(home: DataHome) -> dg.TableMetadataValue | None:
    """The campaigns with the most sends, as a table the UI renders."""
    rows = campaign_summary_rows(home)
    if rows is None:
        return None
    schema = dg.TableSchema(
        columns=[dg.TableColumn(name, kind) for name, kind in CAMPAIGN_SUMMARY_COLUMNS]
    )
    return dg.MetadataValue.table(records=[dg.TableRecord(row) for row in rows], schema=schema)


def with_warehouse_metadata(
    context: dg.AssetExecutionContext, home: DataHome, plan: BuildPlan, events: list[Any]
) -> Iterator[Any]:
    """The events, each materialization with the rows of its table (and the campaign summary,
    and the new and duplicate deliveries of the run, where they belong)."""
    keys = {
        event.output_name: context.asset_key_for_output(event.output_name)
        for event in events
        if isinstance(event, dg.Output)
    }
    counts = row_counts(home, [_table_name(key) for key in keys.values()])
    for event in events:
        if not isinstance(event, dg.Output):
            yield event
            continue
        table = _table_name(keys[event.output_name])
        extra: dict[str, Any] = {}
        if table in counts:
            extra["dagster/row_count"] = dg.MetadataValue.int(counts[table])
        if table == "core.hook_events" and not plan.backfill and not plan.full_refresh:
            for name, value in new_event_counts(home, plan.built_through).items():
                extra[f"run_{name}"] = dg.MetadataValue.int(value)
        if table == CAMPAIGN_SUMMARY_TABLE:
            summary = campaign_summary(home)
            if summary is not None:
                extra["campaign_summary"] = summary
        yield event.with_metadata({**event.metadata, **extra}) if extra else event
