"""A real `hookhouse serve` process on 127.0.0.1 for the receiver tests, and a client for it.

The server is started as a user starts it, `hookhouse serve --port 0`, and found by its
"listening" log line. Every line it logs is kept (`lines`), so a test can assert on the logs,
for instance that no token appears in any of them.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from orchestration.paths import DataHome

TOKEN = "test-token-0123456789abcdef"
"""The token the test servers accept (set in `HOOKHOUSE_RECEIVER_TOKENS`)."""
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOOKHOUSE = Path(sys.executable).with_name("hookhouse")


@dataclass
class ServeProcess:
    """One running `hookhouse serve`."""

    process: subprocess.Popen[bytes]
    lines: list[str] = field(default_factory=list)
    port: int = 0
    _reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def records(self) -> list[dict]:
        """The log lines, parsed (each must be one JSON object)."""
        return [json.loads(line) for line in self.lines]

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if '"listening"' in line:
                    self.port = int(json.loads(line)["port"])
                    return
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited {self.process.returncode}: {self.lines[-20:]}")
            time.sleep(0.02)
        raise AssertionError(f"serve did not listen within {timeout} s: {self.lines[-20:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `sig` and wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:  # a stop that hangs fails the test, leaving nothing
            self.process.kill()
            self.process.wait()
            raise
        if self._reader is not None:
            self._reader.join(5)
        return code

    def post(self, body: bytes, headers: Mapping[str, str] | None = None) -> httpx.Response:
        return httpx.post(
            f"{self.url}/hooks", content=body, headers={**AUTH, **(headers or {})}, timeout=30
        )


def start_serve(
    home: DataHome, *args: str, env: Mapping[str, str] | None = None, tokens: str = TOKEN
) -> ServeProcess:
    """`hookhouse serve --port 0 ARGS` on `home`, once it listens."""
    environ = {**os.environ, "HOOKHOUSE_HOME": str(home.root), **(env or {})}
    environ["HOOKHOUSE_RECEIVER_TOKENS"] = tokens
    process = subprocess.Popen(
        [str(HOOKHOUSE), "serve", "--port", "0", *args],
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    served = ServeProcess(process)
    served._reader = threading.Thread(target=served._read, daemon=True)
    served._reader.start()
    try:
        served.wait_listening()
    except AssertionError:
        process.kill()
        raise
    return served


def landing_lines(home: DataHome) -> list[bytes]:
    """Every line of every committed receiver landing file (temporary files excluded)."""
    lines: list[bytes] = []
    for path in sorted((home.receiver_landing).rglob("*.ndjson")):
        if not path.name.startswith("."):
            lines.extend(path.read_bytes().splitlines())
    return lines


def committed_files(home: DataHome) -> list[Path]:
    """The receiver's committed landing files (what the ingest reads), in name order."""
    found = home.receiver_landing.rglob("*.ndjson")
    return sorted(path for path in found if not path.name.startswith("."))


def hidden_files(home: DataHome) -> list[Path]:
    """Temporary (hidden) files below the receiver landing folder: a writer's commit in flight,
    or one a killed writer left."""
    return sorted(path for path in home.receiver_landing.rglob(".*") if path.is_file())


def metric_values(url: str) -> dict[str, float]:
    """The receiver's `/metrics`, as sample name (with labels) -> value."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    values: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            values[name] = float(value)
    return values


class RssSampler:
    """The resident memory of a process, every `every` seconds, in a thread of its own:
    `samples` is a list of (seconds since the start, bytes)."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        started = time.monotonic()
        while True:
            try:
                rss = self.process.memory_info().rss
            except psutil.Error:
                return
            self.samples.append((time.monotonic() - started, rss))
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def peak(self, since: float = 0.0, until: float = float("inf")) -> int:
        """The largest sample taken between `since` and `until` seconds (0 if none)."""
        return max((rss for at, rss in self.samples if since <= at <= until), default=0)


def raw_request(
    method: str = "POST",
    path: str = "/hooks",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    length: int | None = -1,
) -> bytes:
    """An HTTP/1.1 request as bytes, closing its connection: `Content-Length` is the body's
    length, or `length` (None: no `Content-Length`)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if length is not None:
        lines.append(f"Content-Length: {len(body) if length == -1 else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class RawAnswer:
    """What came back on a raw connection: the status (None: closed with no answer)."""

    status: int | None
    headers: dict[str, str]
    seconds: float
    timed_out: bool = False


async def exchange(
    port: int, raw: bytes, *, hang_up: bool = False, timeout: float = 15.0
) -> RawAnswer:
    """Send `raw` on a new connection and read until the server closes it (`hang_up`: close
    right after sending, reading nothing). A reset connection keeps what was read before."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data, timed_out = b"", False
    try:
        writer.write(raw)
        if hang_up:
            await writer.drain()
            return RawAnswer(None, {}, 0.0)
        async with asyncio.timeout(timeout):
            while chunk := await reader.read(65536):
                data += chunk
    except ConnectionError:
        pass
    except TimeoutError:
        timed_out = True
    finally:
        writer.close()
    seconds = time.perf_counter() - started
    head, _, _ = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 "):
        return RawAnswer(None, {}, seconds, timed_out)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawAnswer(int(status_line.split(" ")[1]), headers, seconds, timed_out)


async def _dribble(
    port: int, auth: Mapping[str, str], stop: asyncio.Event, seen: list[int | None]
) -> None:
    """Slow loris: a body sent a byte every 50 ms, connection after connection, until `stop`;
    `seen` gets each connection's answer (None: closed with none)."""
    while not stop.is_set():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw_request("POST", "/hooks", b"", auth, length=100_000))
        answer = asyncio.ensure_future(reader.read(65536))
        data = b""
        try:
            for _ in range(200):
                if (await asyncio.wait([answer], timeout=0.05))[0]:
                    break
                writer.write(b" ")
            data = await asyncio.wait_for(answer, 10)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            writer.close()
        seen.append(int(data.split(b" ")[1]) if data.startswith(b"HTTP/1.1 ") else None)


async def send_all(
    port: int,
    requests: list[tuple[bytes, bool]],
    auth: Mapping[str, str],
    *,
    senders: int = 8,
    dribblers: int = 0,
) -> tuple[list[RawAnswer], list[int | None]]:
    """Each of `requests` (raw bytes, whether to hang up) on a connection of its own, from
    `senders` at once, while `dribblers` slow senders (authenticated by `auth`) dribble bodies;
    the answers in order, and the slow senders' answers."""
    answers: dict[int, RawAnswer] = {}
    todo = iter(enumerate(requests))

    async def sender() -> None:
        for index, (raw, hang_up) in todo:
            answers[index] = await exchange(port, raw, hang_up=hang_up)

    stop, dribbled = asyncio.Event(), list[int | None]()
    slow = [asyncio.create_task(_dribble(port, auth, stop, dribbled)) for _ in range(dribblers)]
    await asyncio.gather(*(sender() for _ in range(senders)))
    stop.set()
    await asyncio.gather(*slow)
    return [answers[index] for index in range(len(requests))], dribbled
