"""Dagster resources: the data home every asset reads and writes, and dbt."""

import importlib.metadata
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.paths import DataHome


class DataHomeResource(dg.ConfigurableResource):
    """The data home; empty means `HOOKHOUSE_HOME`, else `data/` under the repository root."""

    root: str = ""

    def home(self) -> DataHome:
        return DataHome(Path(self.root).resolve()) if self.root else DataHome.from_env()


class HookhouseDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, without two start-up costs that buy hookhouse nothing.

    Each `cli()` call first asks the dbt executable for its version (a `dbt --version`
    process, about 1.6 s) and loads dbt's macros in this process to hand dagster-dbt an
    adapter (about 0.8 s per step). The version is that of the dbt-core installed with
    hookhouse; the adapter only serves dagster-dbt's `fetch_row_counts` and
    `fetch_column_metadata`, which hookhouse does not use (warehouse_metadata reads the row
    counts once dbt has exited). `tests/test_dagster.py` fails if dagster-dbt renames either.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None
