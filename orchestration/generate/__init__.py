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
`records.py`). Output formats, defects and their rates: `writer.py`, `defects.py`.

Modules: `entities` (the world), `planner` + `funnels` + `families` (what happens, as integer
columns), `status` (subscription status over time), `records` (JSON), `writer` (files),
`api` (orchestration), `report` (the counts).
"""

from orchestration.generate.api import generate_dumps
from orchestration.generate.report import GenerateReport

__all__ = ["GenerateReport", "generate_dumps"]
