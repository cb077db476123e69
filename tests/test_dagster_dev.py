"""`dagster dev`, started from the repository root as a data engineer starts it, serves the
asset graph: landing -> bronze -> staging -> core -> marts."""

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
from pathlib import Path

import pytest

from orchestration.defs.instance import DAGSTER_YAML
from orchestration.paths import REPO_ROOT

DAGSTER = str(Path(sys.executable).with_name("dagster"))
QUERY = "{ assetNodes { assetKey { path } dependencyKeys { path } groupName } }"
STARTUP_SECONDS = 240
STOP_SECONDS = 150


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


@pytest.mark.slow
def test_dagster_dev_serves_the_lineage_and_stops_cleanly(tmp_path: Path) -> None:
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(DAGSTER_YAML)
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "HOOKHOUSE_HOME": str(tmp_path)}
    port = free_port()
    log = (tmp_path / "dagster-dev.log").open("wb")
    server = subprocess.Popen(
        [DAGSTER, "dev", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the webserver, daemon, code server
        preexec_fn=as_in_a_terminal,
    )
    try:
        nodes = wait_for_assets(port, server)
    finally:
        try:
            stopped = stop(server)
        finally:
            log.close()
    assert stopped, "dagster dev did not stop on Ctrl-C:\n" + tail(tmp_path / "dagster-dev.log")
    assert server.returncode == 0, tail(tmp_path / "dagster-dev.log")

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
