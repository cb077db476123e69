"""What `hookhouse run` prints: a short account of a run, or of what failed and what to do."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from orchestration.ingest.report import skipped_lines
from orchestration.names import BRONZE_EVENTS_KEY
from orchestration.paths import DataHome
from orchestration.warehouse.tables import warehouse_summary


def describe_success(result: dg.ExecuteInProcessResult, home: DataHome) -> str:
    lines = [f"hookhouse run {result.run_id[:8]} succeeded (data home: {home.root})"]
    for event in result.get_asset_materialization_events():
        materialization = event.step_materialization_data.materialization
        if materialization is None:
            continue
        key = materialization.asset_key.to_user_string()
        metadata = {name: value.value for name, value in materialization.metadata.items()}
        if key == "/".join(BRONZE_EVENTS_KEY):
            lines += ingest_lines(metadata)
    lines += warehouse_summary(home)
    lines += check_warnings(result)
    return "\n".join(lines)


def ingest_lines(metadata: Mapping[str, object]) -> list[str]:
    """The ingest's lines of the summary, from its asset's metadata (`report_metadata`)."""
    lines = [
        f"  ingest: {metadata.get('new_files')} new files, {metadata.get('records')} "
        f"records: {metadata.get('kept')} kept, {metadata.get('rejected')} rejected, "
        f"{metadata.get('wrong_typed_optional_fields')} with a wrong-typed optional "
        f"field; {metadata.get('already_ingested_files')} files already ingested"
    ]
    if metadata.get("erased_records"):
        erased = metadata["erased_records"]
        lines.append(f"  {erased} records of erased people dropped (hookhouse forget)")
    if metadata.get("first_event_day"):
        lines.append(f"  event days {metadata['first_event_day']} to {metadata['last_event_day']}")
    for name in str(metadata.get("ignored_file_names") or "").splitlines():
        lines.append(f"  ignored (not a landing format): {name}")
    for name in str(metadata.get("damaged_files") or "").splitlines():
        lines.append(f"  damaged, kept what was readable (see bronze.hook_rejects): {name}")
    skipped = str(metadata.get("skipped_entry_reasons") or "").splitlines()
    return lines + skipped_lines(int(str(metadata.get("skipped_entries") or 0)), skipped)


def check_warnings(result: dg.ExecuteInProcessResult) -> list[str]:
    """The asset checks of the run that did not pass (dbt tests of severity warn, the reject
    ratio, unknown event types, landing freshness), one line each."""
    lines = []
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.passed:
            continue
        key = evaluation.asset_check_key
        level = "error" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warning"
        text = f": {evaluation.description}" if evaluation.description else ""
        lines.append(f"  {level}: check {key.name} on {key.asset_key.to_user_string()}{text}")
    return lines


def describe_failure(result: dg.ExecuteInProcessResult) -> str:
    lines = [f"hookhouse run {result.run_id[:8]} failed."]
    for event in result.all_events:
        if event.event_type_value != "STEP_FAILURE":
            continue
        data = event.step_failure_data
        if data and data.user_failure_data and data.user_failure_data.description:
            lines.append(f"  step {event.step_key}: {data.user_failure_data.description}")
            continue
        error = data.error if data else None
        message = error.message.strip() if error else "unknown error"
        cause = error.cause.message.strip() if error and error.cause else ""
        lines.append(f"  step {event.step_key}: {message}")
        if cause:
            lines.append(f"    caused by: {cause}")
    lines += [line for line in check_warnings(result) if line.startswith("  error:")]
    lines.append("Fix the cause above and run `hookhouse run` again; it resumes where it stopped.")
    return "\n".join(lines)
