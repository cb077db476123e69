"""How dbt nodes become Dagster assets: keys, groups and partitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

from orchestration.defs.partitions import EVENT_DAYS

LAYER_GROUPS = {
    "staging": "staging",
    "core": "core",
    "intermediate": "core",
    "marts": "marts",
    "reference": "staging",
}
"""The asset group of each warehouse schema: the layers."""

PARTITION_META = "partitioned_by"
DAY_PARTITIONED = f"config.meta.{PARTITION_META}:event_day"
"""dbt selection of the core step: the models that say `partitioned_by: event_day`."""
UPSTREAM_OF_CORE = f"+{DAY_PARTITIONED}"
"""The day-partitioned models and all they read: what the marts step leaves out."""


def _meta(dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
    return dbt_resource_props.get("config", {}).get("meta") or dbt_resource_props.get("meta", {})


class HookhouseTranslator(DagsterDbtTranslator):
    """Asset keys are warehouse names (`core/hook_events`); groups are layers; the models of
    `partitioned_by: event_day` have daily partitions. Descriptions, column schemas and
    owners (`meta.dagster.owners`) come from the dbt docs, as dagster-dbt reads them."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        name = dbt_resource_props.get("alias") or dbt_resource_props["name"]
        return dg.AssetKey([dbt_resource_props["schema"], name])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return LAYER_GROUPS.get(dbt_resource_props.get("schema", ""), "staging")

    def get_partitions_def(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.PartitionsDefinition | None:
        if _meta(dbt_resource_props).get(PARTITION_META) == "event_day":
            return EVENT_DAYS
        return None
