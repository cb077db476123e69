"""The same dbt project on Spark builds the same rows as on DuckDB.

One generated sample with duplicates, late and malformed records lands in two nightly
batches; each is built on both engines from the same bronze, on Spark with dbt-spark's
`session` method (pyspark in-process), and dbt's unit tests run on Spark too. Then a
real Spark Thrift Server is started from the installed Spark distribution (127.0.0.1), and
a backfill of two event days runs on DuckDB and, through dbt-spark's `thrift` method (the
path a cluster's server is reached by), on Spark. After each stage every core,
intermediate, reference and mart table is compared row for row
(tests/engine_comparison.py). Last, every query of the analyst guide runs on both engines,
on Spark through the Thrift Server, with the same answers.
"""

from __future__ import annotations

import datetime
import decimal
import math
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from pyhive import hive  # type: ignore[import-untyped]

from orchestration.analyst_guide import guide_queries
from orchestration.generate import generate_dumps
from orchestration.paths import DataHome
from orchestration.warehouse.target import Target, spark_warehouse
from tests.engine_comparison import TableDifference, compare_engines
from tests.environment import environment
from tests.spark_helpers import backfill_on, run_on, unit_tests_on
from tests.spark_thrift import thrift_server

pytestmark = pytest.mark.slow

STAGES = ("first night (session)", "second night (session)", "backfill (thrift server)")


@dataclass(frozen=True)
class BothEngines:
    home: DataHome
    found: dict[str, list[TableDifference]]
    """Per stage, the tables whose rows differed between the engines after it."""
    thrift_port: int
    unit_tests: str
    """dbt's summary of its unit tests on Spark."""


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BothEngines]:
    root = tmp_path_factory.mktemp("spark")
    home = DataHome(root / "home")
    dumps = root / "dumps"
    report = generate_dumps(
        dumps, 2_500, seed=21, days=2, duplicate_rate=0.03, late_rate=0.08, malformed_rate=0.004
    )
    assert report.duplicates > 0 and report.late > 0 and report.malformed_total > 0
    nights = sorted(p for p in dumps.iterdir() if p.is_dir())
    assert len(nights) >= 2
    found: dict[str, list[TableDifference]] = {}
    with environment(HOOKHOUSE_HOME=str(home.root), DAGSTER_HOME=str(root / "dagster")):
        for stage, night_group in zip(STAGES, (nights[:-1], nights[-1:]), strict=False):
            for night in night_group:
                shutil.copytree(night, home.landing / night.name)
            run_on("duckdb")
            run_on("spark")
            found[stage] = compare_engines(home)[1]
            if stage == STAGES[0]:
                unit_tests = unit_tests_on("spark")
        days = sorted(
            p.name.removeprefix("event_day=")
            for p in (home.bronze / "hook_events").glob("event_day=2*")
        )
        backfill_on("duckdb", days[0], days[1])
        with thrift_server(home, root / "thrift-server.log") as port:
            backfill_on("spark_thrift", days[0], days[1], HOOKHOUSE_SPARK_PORT=str(port))
            found[STAGES[2]] = compare_engines(home)[1]
            yield BothEngines(home, found, port, unit_tests)


def test_both_engines_build_the_same_rows_at_every_stage(both_engines: BothEngines) -> None:
    assert both_engines.found == {stage: [] for stage in STAGES}
    compared, _ = compare_engines(both_engines.home)
    marts = [table for table in compared if table.startswith("marts.")]
    families = [table for table in compared if table.startswith("core.fct_")]
    assert len(marts) == 12 and len(families) == 20
    assert {"core.hook_events", "core.subscription_observations"} <= set(compared)
    with duckdb.connect(str(both_engines.home.warehouse), read_only=True) as connection:
        (events,) = connection.execute("select count(*) from core.hook_events").fetchone() or (0,)
        (batches,) = connection.execute(
            "select count(distinct batch_id) from core.hook_events"
        ).fetchone() or (0,)
    assert events > 2_000 and batches == 2


def test_every_dbt_unit_test_passes_on_spark(both_engines: BothEngines) -> None:
    passed = int(both_engines.unit_tests.split("PASS=")[1].split()[0])
    assert passed >= 15 and "ERROR=0" in both_engines.unit_tests


def test_spark_keeps_its_warehouse_and_state_under_the_data_home(
    both_engines: BothEngines,
) -> None:
    home = both_engines.home
    assert (spark_warehouse(home) / "marts.db" / "campaign_performance").is_dir()
    assert Target("spark").state_database(home).is_file()
    assert (home.root / "spark" / "metastore_db").is_dir()
    # The core tables are partitioned by event day, as bronze is.
    days = list((spark_warehouse(home) / "core.db" / "hook_events").glob("event_day=*"))
    assert len(days) >= 2


def test_the_comparison_sees_a_single_changed_row(
    both_engines: BothEngines, tmp_path: Path
) -> None:
    changed = tmp_path / "changed.duckdb"
    shutil.copy(both_engines.home.warehouse, changed)
    with duckdb.connect(str(changed)) as connection:
        connection.execute(
            "update marts.campaign_performance set sent = sent + 1 where rowid = "
            "(select min(rowid) from marts.campaign_performance)"
        )
    _, differences = compare_engines(both_engines.home, warehouse=changed)
    assert [(d.table, d.only_duckdb, d.only_spark) for d in differences] == [
        ("marts.campaign_performance", 1, 1)
    ]


def _value(value: object) -> object:
    if isinstance(value, decimal.Decimal | float):
        number = float(value)
        return None if math.isnan(number) else round(number, 6)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()[:19]
    return value


def _rows(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted((tuple(_value(v) for v in row) for row in rows), key=repr)


def test_every_guide_query_gives_the_same_answer_on_spark(both_engines: BothEngines) -> None:
    connection = hive.connect(host="127.0.0.1", port=both_engines.thrift_port, username="analyst")
    cursor = connection.cursor()
    differing, empty = [], []
    with duckdb.connect(str(both_engines.home.warehouse), read_only=True) as duck:
        for query in guide_queries():
            cursor.execute(query.for_engine("spark"))
            spark_rows = _rows(cursor.fetchall())
            duck_rows = _rows(duck.execute(query.for_engine("duckdb")).fetchall())
            where = f"{query.number} (docs/analyst-guide.md line {query.line})"
            if spark_rows != duck_rows:
                differing.append(where)
            if not duck_rows:
                empty.append(where)
    connection.close()
    assert differing == []
    assert len(empty) < len(guide_queries()) // 2, f"too few answers to compare: {empty}"
