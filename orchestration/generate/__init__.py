"""Synthetic Altcraft action-hook dumps for development, tests and benchmarks.

    from orchestration.generate import generate_dumps
    report = generate_dumps(Path("data/landing/synthetic"), events=1_000_000, seed=7)
    print(report.summary())

The simulation follows the customer's documents (`docs/action-hook-event-types.md`,
`docs/hook-message-format.md`) and takes every event type from the catalog
(`seeds/event_catalog.csv`): a few accounts with their databases, resources and profiles;
campaigns on every channel with per-send funnels; pop-ups, loyalty, promo codes, pixels,
imports and static segments, profile merge/split, GCG, API unsubscribes, campaign launches,
errors and audiences. Fields of the undocumented families are synthetic (listed in
`serialize/family_data.py`).

A run is a pipeline, one subpackage per stage (each one's `__init__` describes its modules):

1. `world`: the simulated platform (accounts, lists, campaigns, profiles), from the seed;
2. `plan`: what happens on every day, as integer columns (`plan.planner.Planner`);
3. `serialize`: a planned day as JSON records (`serialize.serializer.Serializer`);
4. `write`: the records as landing files, with defects (`write.day_writer.DayWriter`).

`api` (`generate_dumps`) runs them, `workers` writes days in this process or a pool,
`finish` merges the ndjson layout's spill and sums up the `report`. `constants` holds the
time units and the codes derived from the catalog, `reference` the fixed tables the data
draws from, `malloc` the allocator setting of a run.
"""

from orchestration.generate.api import generate_dumps
from orchestration.generate.report import GenerateReport

__all__ = ["GenerateReport", "generate_dumps"]
