"""A real Spark Thrift Server from the installed Spark distribution (pyspark's), on 127.0.0.1,
for the tests of dbt-spark's `thrift` method: the path a cluster's server is reached by."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyspark

from orchestration.paths import DataHome
from orchestration.warehouse.target import spark_home, spark_warehouse

STARTUP_SECONDS = 180.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def thrift_server(home: DataHome, log: Path) -> Iterator[int]:
    """A Spark Thrift Server whose warehouse and metastore are the data home's (as the
    `spark` target's are); yields its port, and stops it (and its JVM) after."""
    port = free_port()
    distribution = Path(pyspark.__file__).parent
    settings = {
        "spark.hive.server2.thrift.bind.host": "127.0.0.1",
        "spark.hive.server2.thrift.port": str(port),
        "spark.sql.warehouse.dir": str(spark_warehouse(home)),
        "spark.driver.extraJavaOptions": (
            f"-Dderby.system.home={spark_home(home)} -Duser.timezone=UTC"
        ),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.shuffle.partitions": "4",
        "spark.ui.enabled": "false",
    }
    command = [
        str(distribution / "bin" / "spark-submit"),
        "--class", "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2",
        "--master", "local[2]",
        "--driver-memory", "2g",
        *[part for name, value in settings.items() for part in ("--conf", f"{name}={value}")],
        "spark-internal",
    ]  # fmt: skip
    spark_home(home).mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "SPARK_HOME": str(distribution), "SPARK_LOCAL_IP": "127.0.0.1"}
    with log.open("wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _listening(port):
            if server.poll() is not None:
                raise RuntimeError(f"the Spark Thrift Server exited: see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Spark Thrift Server did not listen in time: see {log}")
            time.sleep(0.5)
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
