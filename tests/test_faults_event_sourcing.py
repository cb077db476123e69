"""Event sourcing holds, by property: whatever the history, nightly incremental runs build what
one full rebuild from the same bronze builds, row for row, in every core, intermediate and
mart table.

Hypothesis draws the history (tests/event_histories.py: every event type, late events,
redeliveries re-encoded, files out of order, whole files dropped again). Each night drops its
files into the landing folder and runs what the nightly job runs; then a second data home
gets a copy of that bronze, and nothing else, and is rebuilt with `--full-refresh` into a
warehouse file of its own, so nothing the nightly runs left in their warehouse can reach the
rebuild. Both are compared table by table with EXCEPT ALL, both ways.

Twenty nights of the Dagster job cost about 30 s each here (a dbt process that parses the
project again for every new data home, 179 data tests, the manifest written), so a night
runs the job's steps directly, with the job's own functions: `ingest`; the build plan and
the environment `dbt_core` gives dbt (orchestration/warehouse/build_plan.py); one `dbt
build` of every node, as the job's single invocation is; the watermark recorded and the
appended days cleared as `dbt_core` and `dbt_marts` do (build_state.py). dbt runs in this
process on a project parsed once. It leaves out only what writes no table: the data tests
and unit tests, and dbt's JSON artifacts.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest
from hypothesis import HealthCheck, Phase, given, note, settings

from orchestration.ingest import ingest
from orchestration.paths import REPO_ROOT, DataHome
from orchestration.warehouse.build_plan import (
    DBT_DAY_ENVS,
    BuildPlan,
    backfilled_days_env,
    dbt_build_args,
    event_days_env,
    plan_build,
    record_watermark,
)
from orchestration.warehouse.build_state import (
    clear_appended_days,
    clear_backfilled_days,
    pending_backfilled_days,
)
from orchestration.warehouse.tables import existing_tables
from tests.environment import environment
from tests.event_histories import History, histories

COMPARED_SCHEMAS = ("core", "intermediate", "marts")
"""Everything downstream of bronze that is stored: `staging` is a view over bronze, and schema
`hookhouse` is the nightly runs' bookkeeping (build_state.built_at is the clock), which a
rebuild does not keep."""
EXCLUDED_COLUMNS: dict[str, frozenset[str]] = {}
"""Columns that may differ between nightly runs and a rebuild: none. What could have: the
provenance columns (`batch_id`, `source_file`, `ingested_at`) come from bronze, which both
share (a copy of the same files, so the same batch ids); `built_through_batch` is the newest
batch_id among a row's events, so a function of bronze too; and no model reads the clock
(no `now()`, `current_timestamp` or `current_date` in models/ or macros/)."""
FLOAT_TOLERANCE = 1e-9
"""DOUBLE columns (rates, sums of points and amounts) are equal within this, relatively above
1: a sum over the same values added in another order may differ in its last bits."""
FLOAT_TYPES = frozenset(("DOUBLE", "FLOAT", "REAL"))
QUICK_PHASES = (Phase.explicit, Phase.generate)
"""The suite reports a failing history as drawn: shrinking one costs minutes per build."""
SHOWN_ROWS = 4
SHOWN_CHARS = 48
SUPPRESSED = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]


class InProcessDbt:
    """dbt in this process, on the project parsed once: `dbt build` of every node, as the
    nightly run's one invocation builds them, in the environment `dbt_core` gives it."""

    def __init__(self, work: Path) -> None:
        self.options = [
            "--project-dir", str(REPO_ROOT), "--profiles-dir", str(REPO_ROOT),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
            "--quiet", "--no-use-colors",
        ]  # fmt: skip
        parsed = dbtRunner().invoke(["parse", *self.options])
        assert parsed.success and isinstance(parsed.result, Manifest), parsed.exception
        self.manifest = parsed.result

    def build(self, home: DataHome, plan: BuildPlan, env: dict[str, str]) -> None:
        args = dbt_build_args(plan)  # no extra vars: the nightly run passes none
        args += ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"]
        with dbt_environment(home, env):
            result = dbtRunner(manifest=self.manifest).invoke(
                [*args, *self.options, "--no-write-json"]
            )
            close_dbt_duckdb()
        failed = [
            f"{node.node.unique_id}: {node.message}"
            for node in getattr(result.result, "results", [])
            if getattr(node.status, "value", node.status) in ("error", "fail", "skipped")
        ]
        assert result.success, f"dbt build failed: {result.exception or failed}"


@contextmanager
def dbt_environment(home: DataHome, env: dict[str, str]) -> Iterator[None]:
    """The environment `dbt_build` (orchestration/defs/dbt/invocation.py) sets for dbt, put
    back afterwards."""
    values: dict[str, str | None] = {name: None for name in DBT_DAY_ENVS}
    values.update({"HOOKHOUSE_HOME": str(home.root), **env})
    with environment(**values):
        yield


def close_dbt_duckdb() -> None:
    """dbt-duckdb keeps the warehouse open in this process after an invocation (its shared
    environment keeps the connection); close it, as the end of a dbt process does, so that
    the next read-only connection may open the file."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


@pytest.fixture(scope="module")
def dbt(tmp_path_factory: pytest.TempPathFactory) -> InProcessDbt:
    return InProcessDbt(tmp_path_factory.mktemp("dbt"))


def nightly_run(dbt: InProcessDbt, home: DataHome) -> None:
    """One nightly run (job `hookhouse_run`, tagged new-batches), step by step: ingest, then
    what `dbt_core` does when the marts follow in its invocation, then what `dbt_marts` does
    with the hand-off."""
    ingest(home, workers=1)
    plan = plan_build(home)
    backfilled = pending_backfilled_days(home)
    dbt.build(home, plan, event_days_env(plan) | backfilled_days_env(backfilled))
    record_watermark(home, plan)
    clear_backfilled_days(home, backfilled)
    clear_appended_days(home, plan.event_days)


def rebuild(dbt: InProcessDbt, nightly: DataHome, rebuilt: DataHome) -> None:
    """`hookhouse run --full-refresh` in a data home holding only a copy of the nightly home's
    bronze: the same batches, a warehouse of its own."""
    shutil.copytree(nightly.bronze, rebuilt.bronze)
    plan = plan_build(rebuilt, full_refresh=True)
    dbt.build(rebuilt, plan, event_days_env(plan))


def tables_of(warehouse: Path) -> set[str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = existing_tables(connection, tables_only=True)
    return {table for table in tables if table.split(".")[0] in COMPARED_SCHEMAS}


def columns_of(connection: duckdb.DuckDBPyConnection, side: str, table: str) -> list[tuple]:
    schema, name = table.split(".")
    return connection.execute(
        "select column_name, data_type from information_schema.columns where table_catalog = ? "
        "and table_schema = ? and table_name = ? order by ordinal_position",
        [side, schema, name],
    ).fetchall()


def close(left: tuple, right: tuple, floats: Sequence[int]) -> bool:
    """Two rows equal but for float noise in their DOUBLE columns."""
    for position, (a, b) in enumerate(zip(left, right, strict=True)):
        if position in floats and a is not None and b is not None:
            if not math.isclose(a, b, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE):
                return False
        elif a != b:
            return False
    return True


def unmatched(left: list[tuple], right: list[tuple], floats: Sequence[int]) -> tuple[list, list]:
    """The rows of each side with no row of the other equal to it within FLOAT_TOLERANCE."""
    remaining = list(right)
    alone = []
    for row in left:
        match = next((i for i, other in enumerate(remaining) if close(row, other, floats)), None)
        if match is None:
            alone.append(row)
        else:
            del remaining[match]
    return alone, remaining


def shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def describe(table: str, names: list[str], nightly: list[tuple], rebuilt: list[tuple]) -> str:
    """The table, how many rows differ each way, and a few of them: the columns equal in every
    row shown once, then each row's other columns."""
    rows = [("nightly", row) for row in nightly[:SHOWN_ROWS]]
    rows += [("rebuild", row) for row in rebuilt[:SHOWN_ROWS]]
    same = [i for i in range(len(names)) if len({repr(row[i]) for _, row in rows}) == 1]
    lines = [
        f"{table}: {len(nightly)} rows only in the nightly build, {len(rebuilt)} only in "
        "the rebuild",
    ]
    if len(rows) > 1 and same:
        lines.append(
            "  in every row shown: " + ", ".join(f"{names[i]}={shown(rows[0][1][i])}" for i in same)
        )
    for side, row in rows:
        values = [
            f"{name}={shown(row[i])}"
            for i, name in enumerate(names)
            if i not in same or len(rows) == 1
        ]
        lines.append(f"  {side}: " + ", ".join(values))
    return "\n".join(lines)


def differences(nightly: Path, rebuilt: Path) -> list[str]:
    """Per table that differs, what differs; empty when every table is equal row for row."""
    found: list[str] = []
    nightly_tables, rebuilt_tables = tables_of(nightly), tables_of(rebuilt)
    for table in sorted(nightly_tables ^ rebuilt_tables):
        found.append(
            f"{table}: only in the {'nightly build' if table in nightly_tables else 'rebuild'}"
        )
    with duckdb.connect() as connection:
        connection.execute(f"attach '{nightly}' as nightly (read_only)")
        connection.execute(f"attach '{rebuilt}' as rebuilt (read_only)")
        for table in sorted(nightly_tables & rebuilt_tables):
            columns = columns_of(connection, "nightly", table)
            if columns != (other := columns_of(connection, "rebuilt", table)):
                found.append(f"{table}: columns differ: {columns} / {other}")
                continue
            kept = [(n, t) for n, t in columns if n not in EXCLUDED_COLUMNS.get(table, frozenset())]
            names = [name for name, _ in kept]
            listed = ", ".join(f'"{name}"' for name in names)
            only = [
                connection.execute(
                    f"select {listed} from {a}.{table} except all select {listed} from {b}.{table}"
                ).fetchall()
                for a, b in (("nightly", "rebuilt"), ("rebuilt", "nightly"))
            ]
            floats = [i for i, (_, kind) in enumerate(kept) if kind in FLOAT_TYPES]
            only_nightly, only_rebuilt = unmatched(only[0], only[1], floats)
            if only_nightly or only_rebuilt:
                found.append(describe(table, names, only_nightly, only_rebuilt))
    return found


def check_history(dbt: InProcessDbt, history: History) -> None:
    """Run the history night by night, rebuild from its bronze, compare."""
    note(history.summary())
    with tempfile.TemporaryDirectory(prefix="event-sourcing-") as folder:
        root = Path(folder).resolve()
        nightly, rebuilt = DataHome(root / "nightly"), DataHome(root / "rebuilt")
        nightly.landing.mkdir(parents=True)
        for night in history.nights:
            for file in night:
                path = nightly.landing / file.name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(file.data)
            nightly_run(dbt, nightly)
        rebuild(dbt, nightly, rebuilt)
        found = differences(nightly.warehouse, rebuilt.warehouse)
    assert not found, "nightly runs and a rebuild differ:\n" + "\n".join(found)


@pytest.mark.slow
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=SUPPRESSED,
    derandomize=True,  # the suite tries the same 10 histories each time; stress draws 200 anew
    database=None,
    phases=QUICK_PHASES,
)
@given(history=histories())
def test_nightly_runs_equal_a_rebuild_whatever_the_history(
    dbt: InProcessDbt, history: History
) -> None:
    check_history(dbt, history)


@pytest.mark.stress
@settings(max_examples=200, deadline=None, suppress_health_check=SUPPRESSED)
@given(history=histories())
def test_nightly_runs_equal_a_rebuild_whatever_the_history_at_length(
    dbt: InProcessDbt, history: History
) -> None:
    check_history(dbt, history)
