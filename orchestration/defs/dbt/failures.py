"""What failed in a dbt invocation, one line per node, and the step failure that says so."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg

FAILED = ("fail", "error", "runtime error")
"""The statuses of run_results.json that fail a step."""


def failed_results(run_results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The entries of a run_results.json whose node failed."""
    return [result for result in run_results.get("results", []) if result.get("status") in FAILED]


def describe_failures(
    run_results: Mapping[str, Any], manifest: Mapping[str, Any] | None = None
) -> list[str]:
    """One line per failed node of a dbt run: what it is, what it tests, what went wrong."""
    nodes = {**(manifest or {}).get("nodes", {}), **(manifest or {}).get("unit_tests", {})}
    lines = []
    for result in failed_results(run_results):
        unique_id = result.get("unique_id", "")
        node = nodes.get(unique_id, {})
        kind = node.get("resource_type") or unique_id.split(".", 1)[0]
        name = node.get("name") or unique_id.rsplit(".", 1)[-1]
        message = " ".join(str(result.get("message") or "").split())
        if kind in ("test", "unit_test"):
            tested = _tested_models(node, nodes)
            on = f" on {', '.join(tested)}" if tested else ""
            label = "unit test" if kind == "unit_test" else "test"
            lines.append(f"{label} {name}{on} failed: {message[:500]}")
        else:
            where = f"{node.get('schema')}.{node.get('alias') or name}" if node else name
            lines.append(f"{kind} {where}: {message[:500]}")
    return lines or ["dbt exited with an error, and no node failed; see the dbt log"]


def _tested_models(node: Mapping[str, Any], nodes: Mapping[str, Any]) -> list[str]:
    """The warehouse names of the models a test reads."""
    if node.get("resource_type") == "unit_test":
        return [str(node.get("model"))]
    names = []
    for parent in node.get("depends_on", {}).get("nodes", []):
        model = nodes.get(parent, {})
        if model.get("resource_type") in ("model", "seed", "snapshot"):
            names.append(f"{model.get('schema')}.{model.get('alias') or model.get('name')}")
    return names


def build_failed(failures: list[str], target_path: Path) -> dg.Failure:
    """The step's failure: each failed node on a line, and where dbt's full log is."""
    return dg.Failure(
        description="dbt build failed:\n" + "\n".join(f"  - {line}" for line in failures),
        metadata={"dbt_log": dg.MetadataValue.path(str(target_path / "dbt.log"))},
    )
