"""The dbt project as dagster-dbt sees it, and its manifest, prepared once where it is needed.

dagster-dbt's pattern: a `DbtProject` beside the code, and its manifest prepared before the
`@dbt_assets` that read it (`prepare_if_dev()` under `dagster dev`, `dagster-dbt project
prepare-and-package` in a deployment). hookhouse runs from a checkout as often as under
`dagster dev` (`hookhouse run`, the tests), so `prepared_manifest()` parses again whenever
the manifest is missing or older than a model, macro, seed or setting; with a manifest
prepared at deployment it costs a few `stat` calls. Only `assets.py` calls it: importing
this module parses nothing and starts nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.paths import REPO_ROOT

DBT_PROJECT = DbtProject(
    project_dir=REPO_ROOT,
    profiles_dir=REPO_ROOT,
    # dbt's own setting for where its artifacts go (default `target/`); the test suite sets
    # it so that its manifest, which has the test-only canaries, never is the one runs use.
    target_path=os.environ.get("DBT_TARGET_PATH", "target"),
)

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""The dbt of hookhouse's own environment, whether or not it is activated (so nothing
depends on `PATH`)."""

DBT_SOURCES = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/dbt")
"""What the manifest is parsed from."""


def _newest_source_mtime(project: DbtProject) -> float:
    newest = 0.0
    for name in DBT_SOURCES:
        path = Path(project.project_dir) / name
        paths = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        newest = max([newest, *(p.stat().st_mtime for p in paths if p.is_file())])
    return newest


def prepared_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """The manifest, parsed again (`dbt parse`, as dagster-dbt's preparer runs it) when it is
    missing or older than one of its sources."""
    manifest = Path(project.manifest_path)
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime(project):
        dbt = DbtCliResource(project_dir=project, dbt_executable=DBT_EXECUTABLE)
        dbt.cli(["parse", "--quiet"], target_path=project.target_path).wait()
    return manifest
