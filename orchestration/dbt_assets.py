"""The dbt project as Dagster assets, downstream of the ingest assets (dagster-dbt)."""

import os
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from pydantic import Field

from orchestration.dbt_days import (
    EVENT_DAYS_ENV,
    dbt_build_args,
    event_days_env,
    plan_build,
    record_watermark,
)
from orchestration.paths import REPO_ROOT
from orchestration.resources import DataHomeResource

DBT_PROJECT = DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT)
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""The dbt of hookhouse's own environment, whether or not it is activated."""
if shutil.which("dbt") is None:  # dagster-dbt's own helpers look for `dbt` on PATH.
    os.environ["PATH"] = f"{Path(DBT_EXECUTABLE).parent}{os.pathsep}{os.environ.get('PATH', '')}"

LAYER_GROUPS = {
    "staging": "staging",
    "core": "core",
    "intermediate": "core",
    "marts": "marts",
    "reference": "staging",
}


DBT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")


def _newest_source_mtime(project: DbtProject) -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = Path(project.project_dir) / name
        paths = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> None:
    """dbt's manifest, parsed again whenever a model, macro, seed or setting changed."""
    manifest = Path(project.manifest_path)
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project):
        project.preparer.prepare(project)


class HookhouseTranslator(DagsterDbtTranslator):
    """Asset keys are warehouse names (`core/hook_events`); groups are layers."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return LAYER_GROUPS.get(dbt_resource_props.get("schema", ""), "staging")


ensure_manifest()


class DbtRunConfig(dg.Config):
    """Run options of the dbt step."""

    full_refresh: bool = False
    """Rebuild every model from bronze instead of only the days with new events."""
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    """More dbt --vars, for a run that needs them."""


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=HookhouseTranslator(),
    name="dbt_models",
)
def dbt_models(
    context: dg.AssetExecutionContext,
    config: DbtRunConfig,
    dbt: DbtCliResource,
    data_home: DataHomeResource,
) -> Iterator[Any]:
    """Build and test every dbt model; incremental models rebuild the days bronze received."""
    home = data_home.home()
    plan = plan_build(home, full_refresh=config.full_refresh)
    # dbt runs in a child process and reads these; the run is the warehouse's only writer.
    os.environ["HOOKHOUSE_HOME"] = str(home.root)
    os.environ.pop(EVENT_DAYS_ENV, None)
    os.environ.update(event_days_env(plan))
    context.log.info(
        f"dbt: rebuilding {len(plan.event_days)} event days"
        + (f" ({plan.event_days[0]} to {plan.event_days[-1]})" if plan.event_days else "")
        + (" (full refresh)" if plan.full_refresh else "")
    )
    args = dbt_build_args(plan, config.extra_vars)
    invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    if not invocation.is_successful():
        failures = describe_failures(
            invocation.get_artifact("run_results.json"), invocation.get_artifact("manifest.json")
        )
        raise dg.Failure(
            description="dbt build failed:\n" + "\n".join(f"  - {line}" for line in failures),
            metadata={"dbt_log": dg.MetadataValue.path(str(invocation.target_path / "dbt.log"))},
        )
    record_watermark(home, plan)


def describe_failures(
    run_results: Mapping[str, Any], manifest: Mapping[str, Any] | None = None
) -> list[str]:
    """One line per failed node of a dbt run: what it is, what it tests, what went wrong."""
    nodes = {**(manifest or {}).get("nodes", {}), **(manifest or {}).get("unit_tests", {})}
    lines = []
    for result in run_results.get("results", []):
        if result.get("status") not in ("fail", "error", "runtime error"):
            continue
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
    return lines or ["dbt exited with an error before any node ran; see the dbt log"]


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
