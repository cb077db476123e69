"""Dagster resources: the data home every asset reads and writes."""

from pathlib import Path

import dagster as dg

from orchestration.paths import DataHome


class DataHomeResource(dg.ConfigurableResource):
    """The data home; empty means `HOOKHOUSE_HOME`, else `data/` under the repository root."""

    root: str = ""

    def home(self) -> DataHome:
        return DataHome(Path(self.root).resolve()) if self.root else DataHome.from_env()
