"""`dagster dev`, started from the repository root as a data engineer starts it, serves the
asset graph (landing -> bronze -> staging -> core -> marts), runs the job launched from the UI
beside `hookhouse run`, and stops on Ctrl-C. One server for the three tests: it takes the
better part of a minute to start."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.defs.instance import DAGSTER_YAML
from orchestration.defs.partitions import current_day_partition
from orchestration.names import RUN_JOB_NAME
from orchestration.paths import REPO_ROOT, DataHome
from orchestration.warehouse.lock import holder
from orchestration.warehouse.tables import existing_tables
from tests.test_cli import HOOKHOUSE, hookhouse

DAGSTER = str(Path(sys.executable).with_name("dagster"))
QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }"
STARTUP_SECONDS = 240
STOP_SECONDS = 150
RUN_SECONDS = 900
QUEUE_SECONDS = 12
"""Long enough for the daemon to have looked at its queue twice (every 5 s)."""
LOCATION = (
    "{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }"
)
LAUNCH = """mutation Launch($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } } }"""
STATUS = """query Status($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
LOGS = """query Logs($id: ID!) { logsForRun(runId: $id) { ... on EventConnection {
  events { ... on MessageEvent { message } } } } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_for_assets(port: int, server: subprocess.Popen[bytes]) -> list[dict]:
    """The asset nodes, once the webserver has loaded the code location."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, "dagster dev exited early"
        try:
            nodes = graphql(port, QUERY).get("data", {}).get("assetNodes") or []
            if nodes:
                return nodes
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(2)
    raise AssertionError(f"dagster dev did not serve the assets within {STARTUP_SECONDS}s")


@dataclass
class Server:
    """`dagster dev` on a generated data home, as a data engineer starts it."""

    process: subprocess.Popen[bytes]
    port: int
    home: DataHome
    env: dict[str, str]
    log: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("dagster-dev")
    home = DataHome(root / "home")
    made = hookhouse(home, "generate", "--out", str(home.landing / "g"), "--events", "3000",
                     "--days", "2", "--seed", "4")  # fmt: skip
    assert made.returncode == 0, made.stderr
    dagster_home = root / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "HOOKHOUSE_HOME": str(home.root)}
    port = free_port()
    log = root / "dagster-dev.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [DAGSTER, "dev", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the webserver, daemon, code server
            preexec_fn=as_in_a_terminal,
        )
    try:
        yield Server(process, port, home, env, log)
    finally:
        if process.poll() is None:
            stop(process)


@pytest.mark.slow
def test_dagster_dev_serves_the_lineage(server: Server) -> None:
    nodes = wait_for_assets(server.port, server.process)
    parents = {
        "/".join(node["assetKey"]["path"]): {"/".join(d["path"]) for d in node["dependencyKeys"]}
        for node in nodes
    }
    groups = {"/".join(node["assetKey"]["path"]): node["groupName"] for node in nodes}
    # Every mart reaches the landing folder through core, staging and bronze.
    marts = [key for key, group in groups.items() if group == "marts"]
    assert marts
    for mart in marts:
        upstream = ancestors(parents, mart)
        assert {"landing/hook_dumps", "bronze/hook_events"} <= upstream, mart
        assert {groups[key] for key in upstream} >= {"ingest", "staging", "core"}, mart
    assert "core/hook_events" in ancestors(parents, marts[0])
    assert parents["bronze/hook_events"] == {"landing/hook_dumps"}


@pytest.mark.slow
def test_a_run_launched_from_the_ui_during_hookhouse_run_is_queued_behind_it(
    server: Server,
) -> None:
    """Concurrency (issue 14), as `make dev` sets it up: the UI and `hookhouse run` share one
    instance, whose run queue lets one writer run at a time. The job launched as the UI's
    Materialize button launches it stays queued while `hookhouse run` runs, then succeeds."""
    wait_for_assets(server.port, server.process)
    builds = build_count(server.home)
    run = Started(server.home, server.env)
    try:
        run_id = launch(server.port)
        time.sleep(QUEUE_SECONDS)  # the daemon looks at the queue every few seconds
        assert run.process.poll() is None, "hookhouse run ended before the queue was looked at"
        assert status(server.port, run_id) == "QUEUED"
        out, err = run.finish()
    finally:
        run.stop()
    assert run.process.returncode == 0, err
    assert wait_for_end(server.port, run_id) == "SUCCESS", tail(server.log)
    assert "core.hook_events:" in out, out
    assert build_count(server.home) == builds + 2, (builds, build_count(server.home))


@pytest.mark.stress  # the lock wait of tests/test_cli.py::test_a_second_run_waits_or_exits...
def test_a_run_launched_from_another_instance_waits_for_the_warehouse_naming_its_holder(
    server: Server,
) -> None:
    """Concurrency (issue 14), where the queue cannot see `hookhouse run` (it records to
    another instance): the UI's run starts, and its steps wait at the warehouse lock, logging
    who holds it; both runs succeed."""
    wait_for_assets(server.port, server.process)
    builds = build_count(server.home)
    elsewhere = {key: value for key, value in server.env.items() if key != "DAGSTER_HOME"}
    run = Started(server.home, elsewhere)
    try:
        run_id = launch(server.port)
        deadline = time.monotonic() + RUN_SECONDS
        while not any("waiting for it to finish" in m for m in messages(server.port, run_id)):
            assert run.process.poll() is None, "hookhouse run ended before the UI's run waited"
            assert time.monotonic() < deadline, messages(server.port, run_id)
            time.sleep(0.5)
        out, err = run.finish()
    finally:
        run.stop()
    assert run.process.returncode == 0, err
    said = messages(server.port, run_id)
    assert wait_for_end(server.port, run_id) == "SUCCESS", "\n".join(said[-30:])
    waited = next(m for m in said if "waiting for it to finish" in m)
    assert f"pid {run.process.pid}" in waited and "hookhouse run" in waited, waited
    assert "core.hook_events:" in out, out
    assert build_count(server.home) == builds + 2, (builds, build_count(server.home))


class Started:
    """`hookhouse run`, started; returns once it holds the warehouse."""

    def __init__(self, home: DataHome, env: dict[str, str]) -> None:
        self.process = subprocess.Popen([HOOKHOUSE, "run"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)  # fmt: skip
        deadline = time.monotonic() + RUN_SECONDS
        while "hookhouse run" not in holder(home):
            assert self.process.poll() is None and time.monotonic() < deadline, self.finish()
            time.sleep(0.1)

    def finish(self) -> tuple[str, str]:
        return self.process.communicate(timeout=RUN_SECONDS)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def build_count(home: DataHome) -> int:
    """The builds the warehouse records (hookhouse.build_state), 0 before the first."""
    if not home.warehouse.exists():
        return 0
    with duckdb.connect(str(home.warehouse), read_only=True) as connection:
        if "hookhouse.build_state" not in existing_tables(connection):
            return 0
        return len(connection.execute("select 1 from hookhouse.build_state").fetchall())


def wait_for_end(port: int, run_id: str) -> str:
    deadline = time.monotonic() + RUN_SECONDS
    while (state := status(port, run_id)) not in ("SUCCESS", "FAILURE", "CANCELED"):
        assert time.monotonic() < deadline, f"the UI's run is still {state}"
        time.sleep(1)
    return state


@pytest.mark.slow
def test_dagster_dev_stops_cleanly_on_ctrl_c(server: Server) -> None:
    wait_for_assets(server.port, server.process)
    stopped = stop(server.process)
    assert stopped, "dagster dev did not stop on Ctrl-C:\n" + tail(server.log)
    assert server.process.returncode == 0, tail(server.log)


def ask(port: int, query: str, **variables: Any) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer: dict[str, Any] = json.loads(response.read())
    assert "errors" not in answer, answer
    return answer["data"]


def launch(port: int) -> str:
    """Launch the job for today's event day as the UI does (GraphQL launchRun); its run id."""
    (repository,) = ask(port, LOCATION)["repositoriesOrError"]["nodes"]
    selector = {
        "repositoryLocationName": repository["location"]["name"],
        "repositoryName": repository["name"],
        "jobName": RUN_JOB_NAME,
    }
    # A partitioned job: the UI's launch dialog asks for an event day and tags the run with it.
    tags = [{"key": "dagster/partition", "value": current_day_partition()}]
    params = {"selector": selector, "runConfigData": {}, "executionMetadata": {"tags": tags}}
    launched = ask(port, LAUNCH, params=params)["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    return str(launched["run"]["runId"])


def messages(port: int, run_id: str) -> list[str]:
    events = ask(port, LOGS, id=run_id)["logsForRun"].get("events") or []
    return [event["message"] for event in events if event.get("message")]


def status(port: int, run_id: str) -> str:
    return str(ask(port, STATUS, id=run_id)["runOrError"]["status"])


def as_in_a_terminal() -> None:
    """Give dagster dev the Ctrl-C disposition a terminal gives it.

    A shell without job control starts background jobs with SIGINT ignored, and a process
    inherits that; Python then installs no Ctrl-C handler, and dagster dev maps SIGTERM to
    the same disposition, so it ignores both (its webserver and daemon set their own). In
    session 2's CI runs the test sent SIGINT to dagster dev alone, which ignored it and had
    to be killed. In a terminal, SIGINT is at its default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop(server: subprocess.Popen[bytes]) -> bool:
    """Ctrl-C, as a terminal sends it (to the whole foreground process group). Whether
    dagster dev then stopped by itself, every process of it gone, within STOP_SECONDS
    (it gives its webserver and daemon up to 60 s each); if not, the group is killed."""
    try:
        os.killpg(server.pid, signal.SIGINT)
        server.wait(timeout=STOP_SECONDS)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        return False
    if group_is_gone(server.pid, timeout=30):
        return True
    os.killpg(server.pid, signal.SIGKILL)
    return False


def tail(log: Path, characters: int = 4000) -> str:
    return log.read_text(errors="replace")[-characters:]


def ancestors(parents: dict[str, set[str]], key: str) -> set[str]:
    found: set[str] = set()
    pending = list(parents[key])
    while pending:
        parent = pending.pop()
        if parent not in found:
            found.add(parent)
            pending += parents.get(parent, set())
    return found


def group_is_gone(group: int, timeout: float) -> bool:
    """Whether every process of the group has exited (the webserver, daemon, code server)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    return False
