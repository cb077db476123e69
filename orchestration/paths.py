"""Where hookhouse keeps its data: the data home of contract section 1."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The repository root: dbt_project.yml, seeds/ and the default data home live here."""


@dataclass(frozen=True)
class DataHome:
    """The folders and files of one data home (`HOOKHOUSE_HOME`)."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def bronze(self) -> Path:
        return self.root / "bronze"

    @property
    def receiver_landing(self) -> Path:
        """Where `hookhouse serve` and `hookhouse consume` commit what they receive."""
        return self.landing / "receiver"

    @property
    def quarantine(self) -> Path:
        """Received bodies that are not hook batches, kept whole with the reason."""
        return self.root / "quarantine"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @classmethod
    def from_env(cls) -> DataHome:
        """The data home named by `HOOKHOUSE_HOME`, else `data/` under the repository root."""
        configured = os.environ.get("HOOKHOUSE_HOME")
        root = Path(configured).expanduser() if configured else REPO_ROOT / "data"
        return cls(root.resolve())
