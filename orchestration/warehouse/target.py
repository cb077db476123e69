"""Which engine dbt builds the warehouse with: `HOOKHOUSE_TARGET`, one of profiles.yml's outputs.

- `duckdb` (the default): the embedded engine; the warehouse is `$HOOKHOUSE_HOME/warehouse.duckdb`.
- `spark`: Apache Spark in-process (pyspark, dbt-spark's `session` method); its warehouse
  directory and metastore live under `$HOOKHOUSE_HOME/spark/`.
- `spark_thrift`: a Spark Thrift Server (a cluster's), reached at `HOOKHOUSE_SPARK_HOST` and
  `HOOKHOUSE_SPARK_PORT`; its warehouse lives where that server keeps it.

The state of the builds (which bronze batch each target was built through, which days its
marts must recompute) is hookhouse's own bookkeeping, not warehouse data: for DuckDB it sits
in the warehouse file (schema `hookhouse`), for Spark in
`$HOOKHOUSE_HOME/spark/<target>.state.duckdb`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from orchestration.paths import DataHome

Engine = Literal["duckdb", "spark"]

TARGET_ENV = "HOOKHOUSE_TARGET"
TARGET_ENGINES: dict[str, Engine] = {
    "duckdb": "duckdb",
    "spark": "spark",
    "spark_thrift": "spark",
}
"""The outputs of profiles.yml and the engine each runs on."""


class UnknownTarget(ValueError):
    """HOOKHOUSE_TARGET names no output of profiles.yml."""


@dataclass(frozen=True)
class Target:
    """One output of profiles.yml, as hookhouse's Python side needs to know it."""

    name: str

    @property
    def engine(self) -> Engine:
        return TARGET_ENGINES[self.name]

    @property
    def in_process(self) -> bool:
        """The engine runs in the process that asks (DuckDB, Spark's session method): its
        files are under the data home."""
        return self.name in ("duckdb", "spark")

    def state_database(self, home: DataHome) -> Path:
        """The DuckDB file that keeps this target's build state."""
        if self.engine == "duckdb":
            return home.warehouse
        return spark_home(home) / f"{self.name}.state.duckdb"

    @classmethod
    def from_env(cls) -> Target:
        name = os.environ.get(TARGET_ENV, "").strip() or "duckdb"
        if name not in TARGET_ENGINES:
            raise UnknownTarget(
                f"{TARGET_ENV}={name!r} is not a target of profiles.yml; "
                f"use one of: {', '.join(TARGET_ENGINES)}"
            )
        return cls(name)


def spark_home(home: DataHome) -> Path:
    """Where the `spark` target keeps its warehouse directory and Derby metastore."""
    return home.root / "spark"


def spark_warehouse(home: DataHome) -> Path:
    """The `spark` target's warehouse directory: `<schema>.db/<table>/` folders of Parquet."""
    return spark_home(home) / "warehouse"


def duckdb_only(command: str) -> str | None:
    """The message for a command that works on the DuckDB warehouse only, when the configured
    target is another (None when it is DuckDB)."""
    target = Target.from_env()
    if target.engine == "duckdb":
        return None
    return (
        f"hookhouse {command} works on the DuckDB warehouse only so far, and "
        f"{TARGET_ENV}={target.name}; run it with {TARGET_ENV}=duckdb"
    )
