"""Dagster resources: the data home every asset reads and writes, and dbt."""

import importlib.metadata
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource
from dagster_dbt.dbt_manifest import DbtManifestParam
from packaging import version

from orchestration.paths import DataHome
from orchestration.processes import guarded_command
from orchestration.warehouse.lock import share_address


class DataHomeResource(dg.ConfigurableResource):
    """The data home; empty means `HOOKHOUSE_HOME`, else `data/` under the repository root."""

    root: str = ""

    def home(self) -> DataHome:
        return DataHome(Path(self.root).resolve()) if self.root else DataHome.from_env()


class HookhouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, without two start-up costs that buy hookhouse nothing, and
    with every dbt it starts guarded.

    Each `cli()` call first asks the dbt executable for its version (a `dbt --version`
    process, about 1.6 s) and loads dbt's macros in this process to hand dagster-dbt an
    adapter (about 0.8 s per step). The version is that of the dbt-core installed with
    hookhouse; the adapter only serves dagster-dbt's `fetch_row_counts` and
    `fetch_column_metadata`, which hookhouse does not use (warehouse_metadata reads the row
    counts once dbt has exited). `tests/test_dagster.py` fails if dagster-dbt renames either.

    dbt is started through orchestration/processes.py's guard (the configured executable is
    kept, and becomes the process once the guard is set up): it ends when the process that
    started it ends, however that ends (Linux), and it holds the warehouse lock this process
    holds, so no dbt writes the warehouse without it.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest: DbtManifestParam | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: dg.OpExecutionContext | dg.AssetExecutionContext | None = None,
        target_path: Path | None = None,
    ) -> DbtCliInvocation:
        """dagster-dbt's `cli`, with dbt started through the guard."""
        guard, *flags = guarded_command(
            [self.dbt_executable, *self.global_config_flags], lock_address=share_address()
        )
        guarded = self.model_copy(update={"dbt_executable": guard, "global_config_flags": flags})
        return DbtCliResource.cli(
            guarded,
            args,
            raise_on_error=raise_on_error,
            manifest=manifest,
            dagster_dbt_translator=dagster_dbt_translator,
            context=context,
            target_path=target_path,
        )
