"""`hookhouse query`: one read-only query, rows as CSV or JSON lines, writes refused.

DuckDB only (a small warehouse built by hand); the Spark target's lexical check is tested as
the pure function it is, without starting Spark.
"""

from __future__ import annotations

import duckdb
import pytest

from orchestration.cli import main
from orchestration.paths import DataHome
from orchestration.warehouse.query import spark_refusal
from orchestration.warehouse.spark_connect import profile_output

ROWS_SQL = "select * from marts.sample order by id"


@pytest.fixture
def warehouse(home: DataHome) -> DataHome:
    with duckdb.connect(str(home.warehouse)) as connection:
        connection.execute("create schema marts")
        connection.execute(
            "create table marts.sample (name varchar, id bigint, ratio double, day date, "
            "seen_at timestamp, amount decimal(10, 2))"
        )
        connection.execute(
            "insert into marts.sample values "
            "('alpha, \"quoted\"', 1, 0.5, date '2026-10-01', timestamp '2026-10-01 12:30:05', "
            "12.30), "
            "(null, 2, -1.25, date '2026-10-02', timestamp '2026-10-02 00:00:00.123456', null)"
        )
    return home


def table_rows(home: DataHome) -> list[tuple[object, ...]]:
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        return connection.execute(ROWS_SQL).fetchall()


def test_csv(warehouse: DataHome, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", ROWS_SQL]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        "name,id,ratio,day,seen_at,amount\n"
        '"alpha, ""quoted""",1,0.5,2026-10-01,2026-10-01T12:30:05,12.30\n'
        ",2,-1.25,2026-10-02,2026-10-02T00:00:00.123456,\n"
    )
    assert captured.err == ""


def test_json_lines(warehouse: DataHome, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", ROWS_SQL, "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert captured.out == (
        '{"name": "alpha, \\"quoted\\"", "id": 1, "ratio": 0.5, "day": "2026-10-01", '
        '"seen_at": "2026-10-01T12:30:05", "amount": 12.30}\n'
        '{"name": null, "id": 2, "ratio": -1.25, "day": "2026-10-02", '
        '"seen_at": "2026-10-02T00:00:00.123456", "amount": null}\n'
    )
    assert captured.err == ""


@pytest.mark.parametrize(
    "sql",
    [
        "with x as (select id from marts.sample) select count(*) as n from x",
        "from marts.sample select count(*) as n",
        "select count(*) as n from marts.sample;",
        "-- a comment first\nselect count(*) as n from marts.sample",
    ],
)
def test_read_only_forms(sql: str, warehouse: DataHome, capsys) -> None:
    assert main(["query", sql]) == 0
    assert capsys.readouterr().out == "n\n2\n"


@pytest.mark.parametrize(
    "sql",
    ["values (1, 'a')", "table marts.sample", "describe marts.sample", "show tables", "explain "
     "select 1", "explain analyze select 1"],
)  # fmt: skip
def test_other_read_only_statements_run(sql: str, warehouse: DataHome, capsys) -> None:
    assert main(["query", sql]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("insert into marts.sample (id) values (3)", "INSERT"),
        ("drop table marts.sample", "DROP"),
        ("select 1; drop table marts.sample", "2 statements"),
        ("create table marts.other as select 1 as x", "CREATE"),
        ("delete from marts.sample", "DELETE"),
        ("with x as (select 1) insert into marts.sample (id) select * from x", "INSERT"),
        ("explain analyze delete from marts.sample", "EXPLAIN DELETE"),
        ("attach 'other.duckdb' as other", "ATTACH"),
        ("copy marts.sample to 'out.csv'", "COPY"),
        ("", "empty query"),
    ],
)
def test_writes_refused(sql: str, named: str, warehouse: DataHome, capsys) -> None:
    before = table_rows(warehouse)
    assert main(["query", sql]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("hookhouse query: refused ")
    assert named in captured.err
    assert captured.err.count("\n") == 1
    assert table_rows(warehouse) == before
    assert not (warehouse.root / "other.duckdb").exists()


def test_missing_warehouse(home: DataHome, capsys) -> None:
    assert main(["query", "select 1"]) == 1
    captured = capsys.readouterr()
    assert captured.err == (
        f"hookhouse query: no warehouse at {home.warehouse}: run `hookhouse run` first\n"
    )
    assert not home.warehouse.exists()


def test_sql_error_is_one_line(warehouse: DataHome, capsys) -> None:
    assert main(["query", "select * from marts.no_such_table"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("hookhouse query: query failed: Catalog Error: ")
    assert "no_such_table" in captured.err
    assert captured.err.count("\n") == 1
    assert "Traceback" not in captured.err


def test_syntax_error_is_one_line(warehouse: DataHome, capsys) -> None:
    assert main(["query", "selec 1"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("hookhouse query: query failed: Parser Error: ")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize("command", [["query", "select 1"], ["run"], ["report", "--campaign", "1"]])
def test_unknown_target(
    warehouse: DataHome, monkeypatch: pytest.MonkeyPatch, capsys, command: list[str]
) -> None:
    monkeypatch.setenv("HOOKHOUSE_TARGET", "nonsense")
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("hookhouse: HOOKHOUSE_TARGET='nonsense' is not a target")
    assert captured.err.count("\n") == 1


@pytest.mark.parametrize(
    "sql",
    [
        "select 1",
        "  -- why\n/* block */ SELECT * FROM marts.sample",
        "with x as (select 1) select * from x",
        "show tables in marts",
        "SHOW CREATE TABLE marts.sample",
        "describe marts.sample",
        "desc table extended marts.sample",
        "values (1), (2)",
        "table marts.sample",
        "explain select * from marts.sample",
        "(select 1) union all (select 2)",
        "select 1;",
        "select 'drop table' as s",
        'select "insert into t" as s',
        "select 'it\\'s; drop table x' as s",
        "with x as (select 'delete' as `update`) select * from x",
        "select last_update, created_at from marts.sample -- drop table x",
    ],
)
def test_spark_check_accepts(sql: str) -> None:
    assert spark_refusal(sql) is None


@pytest.mark.parametrize(
    ("sql", "named"),
    [
        ("with x as (select 1) insert into t select * from x", "WITH ... INSERT"),
        ("insert overwrite table marts.sample select * from t", "INSERT"),
        ("INSERT INTO t VALUES (1)", "INSERT"),
        ("drop table marts.sample", "DROP"),
        ("create table t as select 1", "CREATE"),
        ("merge into t using s on t.id = s.id when matched then delete", "MERGE"),
        ("/* hi */ truncate table t", "TRUNCATE"),
        ("select 1; drop table x", "more than one statement"),
        ("select 1;;select 2", "more than one statement"),
        ("explain insert into t select 1", "EXPLAIN ... INSERT"),
        ("with x as (select 1) select * from x; drop table x", "more than one statement"),
        ("set spark.sql.shuffle.partitions=1", "SET"),
        ("from t insert into u select *", "FROM"),
        ("select 'unclosed", "unclosed"),
        ("select 1 /* unclosed", "unclosed"),
        ("  -- nothing\n", "empty"),
    ],
)
def test_spark_check_refuses(sql: str, named: str) -> None:
    refusal = spark_refusal(sql)
    assert refusal is not None
    assert refusal.startswith("refused ")
    assert named in refusal


def test_spark_session_configured_from_profiles(home: DataHome, monkeypatch) -> None:
    """The `spark` target's session settings are profiles.yml's, rendered (no Spark starts)."""
    monkeypatch.setenv("HOOKHOUSE_SPARK_MASTER", "local[2]")
    monkeypatch.delenv("HOOKHOUSE_SPARK_DRIVER_MEMORY", raising=False)
    settings = profile_output("spark", home)["server_side_parameters"]
    assert settings["spark.master"] == "local[2]"
    assert settings["spark.driver.memory"] == "4g"
    assert settings["spark.sql.warehouse.dir"] == f"{home.root}/spark/warehouse"
    assert settings["spark.driver.extraJavaOptions"] == (
        f"-Dderby.system.home={home.root}/spark -Duser.timezone=UTC"
    )
    assert settings["spark.sql.session.timeZone"] == "UTC"
    monkeypatch.setenv("HOOKHOUSE_SPARK_PORT", "10555")
    assert int(profile_output("spark_thrift", home)["port"]) == 10555


@pytest.mark.parametrize("command", [["report", "--campaign", "1"], ["forget", "--email", "a@b.c"]])
def test_duckdb_only_commands_refuse_a_spark_target(
    warehouse: DataHome, monkeypatch: pytest.MonkeyPatch, capsys, command: list[str]
) -> None:
    monkeypatch.setenv("HOOKHOUSE_TARGET", "spark")
    assert main(command) == 2
    assert "works on the DuckDB warehouse only so far" in capsys.readouterr().err
