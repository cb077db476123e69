"""A real RabbitMQ broker for the tests: Debian's `rabbitmq-server` as a throwaway node.

The node is the test's own: its data, logs, configuration, Erlang cookie (`HOME`) and a
private `epmd` all live in one temporary folder, and it listens only on 127.0.0.1 (AMQP,
Erlang distribution and epmd, on free ports). It has one user, `hookhouse`, with a random
password, on the virtual host `hookhouse`. `stop()` and `start()` stop and start the same
node on the same data (a broker restart); `close()` stops it for good, kills its process
group and checks that no `beam` process of it is left. The server is run as the invoking
user, never through Debian's `/usr/sbin` wrapper (which switches to the `rabbitmq` user).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import aio_pika
import orjson
import psutil

SERVER_SCRIPTS = (Path("/usr/lib/rabbitmq/bin"), Path("/usr/lib/rabbitmq/sbin"))
"""Where the real `rabbitmq-server` and `rabbitmqctl` are (`/usr/sbin` has the wrapper)."""
MISSING = (
    "RabbitMQ is not installed (no rabbitmq-server): `make test` installs it "
    "(apt-get install rabbitmq-server); the RabbitMQ consumer's tests need a real broker"
)
VHOST = "hookhouse"
USER = "hookhouse"


class BrokerError(RuntimeError):
    """The broker did not start or stop; the message has its log's tail."""


def _script(name: str) -> Path | None:
    for folder in SERVER_SCRIPTS:
        if (folder / name).is_file():
            return folder / name
    found = shutil.which(name)
    # /usr/sbin/rabbitmq-server is Debian's wrapper: it needs root and runs as `rabbitmq`.
    if found and Path(found).resolve().name != "rabbitmq-script-wrapper":
        return Path(found)
    return None


def installed() -> bool:
    """Whether `rabbitmq-server` (and Erlang) can be run here."""
    return _script("rabbitmq-server") is not None and shutil.which("epmd") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Broker:
    """One RabbitMQ node below `root` (see the module doc)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.node = f"hookhouse-test-{os.getpid()}-{secrets.token_hex(2)}@localhost"
        self.password = "pw-" + secrets.token_hex(12)
        self.port = _free_port()
        self.dist_port = _free_port()
        self.epmd_port = _free_port()
        self._server: subprocess.Popen[bytes] | None = None
        self._epmd: subprocess.Popen[bytes] | None = None
        self._write_configuration()

    @property
    def url(self) -> str:
        """The AMQP URL of the `hookhouse` user, password included."""
        return f"amqp://{USER}:{self.password}@127.0.0.1:{self.port}/{VHOST}"

    @property
    def log_file(self) -> Path:
        return self.root / "log" / f"{self.node}.log"

    def _write_configuration(self) -> None:
        for folder in ("mnesia", "log", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        (self.root / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\n"
            f"default_vhost = {VHOST}\n"
            f"default_user = {USER}\n"
            f"default_pass = {self.password}\n"
            "disk_free_limit.absolute = 1MB\n"
            "log.console = false\n"
            "log.file.level = info\n"
        )
        (self.root / "enabled_plugins").write_text("[].\n")
        (self.root / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's

    def _env(self) -> dict[str, str]:
        loopback = "-kernel inet_dist_use_interface {127,0,0,1}"
        return {
            **os.environ,
            "HOME": str(self.root / "home"),  # the Erlang cookie of this node and its rabbitmqctl
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_CONF_ENV_FILE": str(self.root / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.root / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.root / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.root / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.root / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.root / "log"),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": loopback,
            "RABBITMQ_CTL_ERL_ARGS": loopback,
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the node's log and of its standard output."""
        parts = []
        for path in (self.log_file, self.root / "server.out"):
            if path.is_file():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts) or "(no log yet)"

    def start(self, timeout: float = 60) -> None:
        """Start the node (again, on the same data) and wait until it accepts AMQP logins."""
        server = _script("rabbitmq-server")
        if server is None or shutil.which("epmd") is None:
            raise BrokerError(MISSING)
        if self._epmd is None or self._epmd.poll() is not None:
            self._epmd = subprocess.Popen(
                ["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                env=self._env(),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self._wait(lambda: _listening(self.epmd_port), 10, "epmd did not listen")
        with (self.root / "server.out").open("ab") as out:
            self._server = subprocess.Popen(
                [str(server)],
                env=self._env(),
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() kills all of it
            )
        self._wait(self._accepts_login, timeout, "the broker did not accept AMQP connections")

    def _wait(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self._server is not None and self._server.poll() is not None:
                raise BrokerError(f"{what}: rabbitmq-server exited\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise BrokerError(f"{what} within {timeout:.0f} s\n{self.log_tail()}")
            time.sleep(0.2)

    def _accepts_login(self) -> bool:
        if not _listening(self.port):
            return False

        async def login() -> None:
            connection = await aio_pika.connect(self.url, timeout=5)
            await connection.close()

        try:
            asyncio.run(login())
        except Exception:
            return False
        return True

    def ctl(self, *args: str, timeout: float = 60) -> str:
        """Run `rabbitmqctl -n <node> args...`; its standard output."""
        ctl = _script("rabbitmqctl")
        if ctl is None:
            raise BrokerError(MISSING)
        done = subprocess.run(
            [str(ctl), "-n", self.node, *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise BrokerError(f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}")
        return done.stdout

    def queue_counts(self, queue: str) -> tuple[int, int]:
        """(messages ready, messages unacknowledged) of `queue`, as the broker counts them."""
        out = self.ctl(
            "-q", "list_queues", "-p", VHOST, "name", "messages_ready",
            "messages_unacknowledged", "--formatter", "json",
        )  # fmt: skip
        for row in orjson.loads(out):
            if row["name"] == queue:
                return int(row["messages_ready"]), int(row["messages_unacknowledged"])
        raise BrokerError(f"no queue {queue!r} on the broker")

    def ensure_running(self) -> None:
        """Start the node if a test stopped it and did not start it again (say, on a failure)."""
        if self._server is None or self._server.poll() is not None:
            self._server = None
            self.start()

    def stop(self, timeout: float = 60) -> None:
        """Stop the node (its data stays, for `start()`): `rabbitmqctl stop`, then the group."""
        server, self._server = self._server, None
        if server is None:
            return
        if server.poll() is None:
            with contextlib.suppress(BrokerError, subprocess.TimeoutExpired):
                self.ctl("stop", timeout=timeout)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever of it is left: beam, inet_gethost
        server.wait()
        left = self._beams()
        if left:
            raise BrokerError(f"beam processes of {self.node} are left: {left}")

    def close(self) -> None:
        """Stop the node for good, and its epmd."""
        try:
            self.stop()
        finally:
            epmd, self._epmd = self._epmd, None
            if epmd is not None:
                epmd.kill()
                epmd.wait()

    def _beams(self) -> list[int]:
        """Live (not zombie) beam processes of this node, found by its HOME."""
        home = str(self.root / "home")
        pids = []
        for process in psutil.process_iter(["name", "cmdline", "status"]):
            info = process.info
            if info["status"] == psutil.STATUS_ZOMBIE or "beam" not in (info["name"] or ""):
                continue
            if home in (info["cmdline"] or []):
                pids.append(process.pid)
        return pids
