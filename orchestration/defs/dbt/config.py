"""The run options of the two dbt steps, and the run config that sets them for both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from orchestration.names import DBT_STEPS


class DbtRunConfig(dg.Config):
    """Run options of the dbt steps."""

    full_refresh: bool = False
    """Rebuild every model from bronze instead of only the days with new events."""
    extra_vars: dict[str, Any] = Field(default_factory=dict)
    """More dbt --vars, for a run that needs them."""
    unit_tests: bool = False
    """Also run dbt's unit tests. They check the models' SQL on fixed inputs, not the data, so
    runs leave them to CI and development (`dbt test --select test_type:unit`)."""


def dbt_run_config(
    full_refresh: bool = False, extra_vars: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The `ops` run config that gives every dbt step the same options."""
    config = {"full_refresh": full_refresh, "extra_vars": dict(extra_vars or {})}
    return {step: {"config": config} for step in DBT_STEPS}
