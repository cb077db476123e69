"""Opening the Spark targets for `hookhouse query`, configured as dbt's profiles.yml has them.

- `spark`: a pyspark `SparkSession` in this process, with the `spark` output's
  `server_side_parameters` (rendered from profiles.yml, so the warehouse directory, the Derby
  metastore and the time zone are the ones dbt builds with) and Hive support.
- `spark_thrift`: PyHive to the Spark Thrift Server of the `spark_thrift` output.

pyspark and PyHive are the optional extra `.[spark]`: they are imported only here, only when a
query runs on a Spark target.
"""

from __future__ import annotations

import importlib
import logging
import os
import warnings
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from orchestration.paths import REPO_ROOT, DataHome
from orchestration.warehouse.query_result import QueryError, Result, first_line
from orchestration.warehouse.target import Target, spark_home

PROFILES = REPO_ROOT / "profiles.yml"
PROFILE = "hookhouse"
NEEDS_EXTRA = "the spark target needs `pip install -e '.[spark]'`"
QUERY_CONTEXT_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")
DERBY_BUSY = ("another instance of derby", "xsdb6", "failed to start database")


def profile_output(name: str, home: DataHome, profiles: Path = PROFILES) -> dict[str, Any]:
    """profiles.yml's output `name`, its `{{ env_var(...) }}` values rendered as dbt renders
    them, with HOOKHOUSE_HOME the data home (as `hookhouse run` gives it to dbt)."""
    import jinja2  # dbt's dependency

    environment = {**os.environ, "HOOKHOUSE_HOME": str(home.root)}

    def env_var(variable: str, default: str | None = None) -> str:
        value = environment.get(variable, default)
        if value is None:
            raise QueryError(f"{profiles.name} needs the environment variable {variable}")
        return value

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    jinja.globals["env_var"] = env_var
    for dbt_filter in ("as_number", "as_bool", "as_native", "as_text"):
        jinja.filters[dbt_filter] = lambda value: value

    def render(value: Any) -> Any:
        if isinstance(value, str) and "{{" in value:
            return jinja.from_string(value).render()
        if isinstance(value, dict):
            return {key: render(item) for key, item in value.items()}
        if isinstance(value, list):
            return [render(item) for item in value]
        return value

    document = yaml.safe_load(profiles.read_text(encoding="utf-8"))
    try:
        output = document[PROFILE]["outputs"][name]
    except (KeyError, TypeError):
        raise QueryError(f"{profiles} has no output {name!r} in profile {PROFILE!r}") from None
    rendered: dict[str, Any] = render(output)
    return rendered


def spark_result(target: Target, home: DataHome, sql: str) -> Result:
    """Run `sql` (already checked read-only) on a Spark target."""
    if target.name == "spark_thrift":
        return _thrift_result(profile_output(target.name, home), sql)
    return _session_result(home, profile_output(target.name, home), sql)


def _metastore_busy(home: DataHome) -> QueryError:
    return QueryError(
        f"the Spark metastore under {spark_home(home)} is in use by another process: Spark's "
        "embedded Derby metastore admits one process at a time; if a dbt build (`hookhouse run` "
        "with HOOKHOUSE_TARGET=spark) is running, query again when it has finished"
    )


def _spark_error(error: BaseException, home: DataHome, what: str) -> QueryError:
    """`what: <first line>`, or the busy-metastore message if that is what the error is."""
    text = str(error).lower()
    cause = error.__cause__ or error.__context__
    while cause is not None:
        text += str(cause).lower()
        cause = cause.__cause__ or cause.__context__
    if any(sign in text for sign in DERBY_BUSY):
        return _metastore_busy(home)
    return QueryError(f"{what}: {first_line(error)}")


def _derby_locked(metastore: Path) -> bool:
    """Another process has the Derby database `metastore` booted: it holds a POSIX lock on
    `dbex.lck`. Asked before starting Spark, which otherwise logs pages of Java stack traces
    while it retries the metastore."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: Spark's own error says it
        return False
    try:
        descriptor = os.open(metastore / "dbex.lck", os.O_RDWR)
    except OSError:  # no metastore yet, or not ours to lock
        return False
    try:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(descriptor)  # releases the lock, if taken
    return False


def _session_result(home: DataHome, output: Mapping[str, Any], sql: str) -> Result:
    with warnings.catch_warnings():  # pyspark warns of the pandas it does not yet support
        warnings.simplefilter("ignore", FutureWarning)
        try:
            from pyspark.logger import PySparkLogger
            from pyspark.sql import SparkSession
        except ImportError:
            raise QueryError(NEEDS_EXTRA) from None
        for name in QUERY_CONTEXT_LOGGERS:  # each SQL error, logged as JSON: the message says it
            PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)
        return _run_in_session(SparkSession, home, output, sql)


def _run_in_session(
    session_class: Any, home: DataHome, output: Mapping[str, Any], sql: str
) -> Result:
    shared = session_class.getActiveSession()  # a session this process already has: leave it up
    if shared is None and _derby_locked(spark_home(home) / "metastore_db"):
        raise _metastore_busy(home)
    builder = session_class.builder.appName("hookhouse query").enableHiveSupport()
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    for key, value in (output.get("server_side_parameters") or {}).items():
        builder = builder.config(str(key), str(value))
    try:
        spark = builder.getOrCreate()
    except Exception as error:
        raise _spark_error(error, home, "cannot start Spark") from None
    try:
        spark.sparkContext.setLogLevel("ERROR")
        frame = spark.sql(sql)
        columns = list(frame.columns)
        fields = frame.schema.fields
        rows = [
            tuple(
                _from_spark(value, field.dataType) for value, field in zip(row, fields, strict=True)
            )
            for row in frame.collect()
        ]
    except Exception as error:
        raise _spark_error(error, home, "query failed") from None
    finally:
        if shared is None:
            spark.stop()
    return Result(columns, rows)


def _from_spark(value: Any, data_type: Any) -> Any:
    """A collected Spark value as hookhouse prints it: pyspark turns a TIMESTAMP into the local
    time of this process, so turn it back into UTC (naive, as the session's time zone is UTC);
    structs become dicts."""
    from pyspark.sql import types

    if value is None:
        return None
    if isinstance(data_type, types.TimestampType) and isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(data_type, types.ArrayType):
        return [_from_spark(item, data_type.elementType) for item in value]
    if isinstance(data_type, types.MapType):
        return {
            _from_spark(key, data_type.keyType): _from_spark(item, data_type.valueType)
            for key, item in value.items()
        }
    if isinstance(data_type, types.StructType):
        return {
            field.name: _from_spark(item, field.dataType)
            for item, field in zip(value, data_type.fields, strict=True)
        }
    return value


def _thrift_result(output: Mapping[str, Any], sql: str) -> Result:
    try:
        hive = importlib.import_module("pyhive.hive")  # untyped
    except ImportError:
        raise QueryError(NEEDS_EXTRA) from None
    host = str(output.get("host", "127.0.0.1"))
    port = int(output.get("port", 10000))
    logging.getLogger("thrift.transport.TSocket").setLevel(logging.CRITICAL)  # the error says it
    try:
        connection = hive.connect(
            host=host,
            port=port,
            username=str(output.get("user", "hookhouse")),
            database=str(output.get("schema", "main")),
        )
    except Exception as error:
        raise QueryError(
            f"cannot reach the Spark Thrift Server at {host}:{port}: {_thrift_message(error)}"
        ) from None
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        description = cursor.description or []
        columns = [str(column[0]) for column in description]
        types = [str(column[1]) for column in description]
        rows = [tuple(map(_from_thrift, row, types)) for row in _fetch(cursor)]
    except Exception as error:
        raise QueryError(f"query failed: {_thrift_message(error)}") from None
    finally:
        connection.close()
    return Result(columns, rows)


def _fetch(cursor: Any) -> Iterator[Sequence[Any]]:
    while batch := cursor.fetchmany(10_000):
        yield from batch


def _from_thrift(value: Any, type_code: str) -> Any:
    """The Thrift Server sends decimals, dates and timestamps as text: make them values."""
    if not isinstance(value, str):
        return value
    try:
        if type_code == "DECIMAL_TYPE":
            return Decimal(value)
        if type_code == "DATE_TYPE":
            return date.fromisoformat(value)
        if type_code == "TIMESTAMP_TYPE":
            return datetime.fromisoformat(value)
    except (ValueError, InvalidOperation):
        pass
    return value


def _thrift_message(error: BaseException) -> str:
    """PyHive puts the server's response object in the error; its message is the useful bit."""
    for argument in getattr(error, "args", ()):
        message = getattr(getattr(argument, "status", None), "errorMessage", None)
        if message:
            return first_line(Exception(message))
    return first_line(error)
