"""The consumer's side of the RabbitMQ tests: events to publish, publishing, consumer processes.

`start_consumer` runs a real `python -m orchestration.cli consume rabbitmq ...` with the broker
URL in `HOOKHOUSE_RABBITMQ_URL`, its standard error (one JSON object a line) in a file that
`Consumer` reads. Every consumer started is in `STARTED`, so that a test's teardown can kill
what a failed test left running.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aio_pika
import orjson
from xxhash import xxh3_128_hexdigest

from orchestration.paths import REPO_ROOT, DataHome
from tests.ingest_helpers import event
from tests.rabbitmq_broker import Broker

CONSUMER = [sys.executable, "-m", "orchestration.cli", "consume", "rabbitmq"]
EVENT_TYPES = ("deliv", "open", "click", "unsub", "hbounce")


def events(count: int, start: int = 0, event_type: str | None = None) -> list[dict]:
    """`count` distinct hook events (their `event_data.message_id` is their number)."""
    return [
        event(
            event_type or EVENT_TYPES[number % len(EVENT_TYPES)],
            list_id=111 + number % 2 * 111,
            profile_id=f"{number:024x}",
            event_data={"campaign_id": 973, "message_id": number},
        )
        for number in range(start, start + count)
    ]


def key(obj: dict) -> str:
    """The ingest's event_key of `obj`."""
    return xxh3_128_hexdigest(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS))


def publish(
    broker: Broker,
    bodies: list[bytes],
    *,
    queue: str | None = None,
    exchange: str | None = None,
    routing_keys: list[str] | None = None,
    headers: dict | None = None,
) -> None:
    """Publish persistent messages with publisher confirms, to `queue` (declared durable) or
    to an existing `exchange` with `routing_keys`."""

    async def run() -> None:
        connection = await aio_pika.connect(broker.url)
        async with connection:
            channel = await connection.channel()
            if queue is not None:
                await channel.declare_queue(queue, durable=True)
                target, keys = channel.default_exchange, [queue] * len(bodies)
            else:
                assert exchange is not None and routing_keys is not None
                target, keys = await channel.get_exchange(exchange), routing_keys
            pairs = list(zip(bodies, keys, strict=True))
            for start in range(0, len(pairs), 500):
                await asyncio.gather(*(
                    target.publish(
                        aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                                         headers=headers, message_id=f"m{start + i}"),
                        routing_key=routing_key,
                    )
                    for i, (body, routing_key) in enumerate(pairs[start : start + 500])
                ))  # fmt: skip

    asyncio.run(run())


def declare_exchange(broker: Broker, name: str, kind: str = "topic") -> None:
    """Declare a durable exchange, as Altcraft does."""

    async def run() -> None:
        connection = await aio_pika.connect(broker.url)
        async with connection:
            channel = await connection.channel()
            await channel.declare_exchange(name, kind, durable=True)

    asyncio.run(run())


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


@dataclass
class Consumer:
    """One consumer process; its standard error goes to a file, one JSON object a line."""

    process: subprocess.Popen[bytes]
    log_path: Path
    password: str

    def records(self) -> list[dict]:
        text = self.log_path.read_text(encoding="utf-8")
        lines = text.splitlines()
        if lines and not text.endswith("\n"):
            lines.pop()  # a line still being written
        return [orjson.loads(line) for line in lines]

    def messages(self, message: str) -> list[dict]:
        return [record for record in self.records() if record["message"] == message]

    def landed_events(self) -> int:
        return sum(record["events"] for record in self.messages("landed"))

    def wait_log(self, message: str, timeout: float = 30) -> dict:
        def logged() -> bool:
            return bool(self.messages(message)) or self.process.poll() is not None

        wait_until(logged, timeout, f"the log line {message!r}")
        found = self.messages(message)
        assert found, f"the consumer exited without {message!r}:\n{self.log_text()}"
        return found[0]

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 60) -> int:
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the consumer did not exit:\n{self.log_text()[-3000:]}") from None
        assert self.password not in self.log_text(), "the broker password is in the log"
        return code

    def stop(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


STARTED: list[Consumer] = []
"""Every consumer a test started: killed at its end if it still runs (a test failed)."""


def start_consumer(
    home: DataHome, broker: Broker, *args: str, url: str | None = None, name: str = "consumer"
) -> Consumer:
    """`python -m orchestration.cli consume rabbitmq args...`; the URL from the environment."""
    env = {**os.environ, "HOOKHOUSE_HOME": str(home.root), "PYTHONPATH": str(REPO_ROOT)}
    env["HOOKHOUSE_RABBITMQ_URL"] = url or broker.url
    log_path = home.root.parent / f"{name}-{time.monotonic_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*CONSUMER, *args], env=env, cwd=REPO_ROOT, stdout=log, stderr=log,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
    STARTED.append(Consumer(process, log_path, broker.password))
    return STARTED[-1]


def free_port() -> int:
    """A port nothing listens on (now)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def landing_files(home: DataHome) -> list[Path]:
    return sorted((home.receiver_landing / "rabbitmq").rglob("hooks-*.ndjson"))


def delete_queue(broker: Broker, name: str) -> None:
    async def run() -> None:
        connection = await aio_pika.connect(broker.url)
        async with connection:
            channel = await connection.channel()
            await (await channel.get_queue(name)).delete(if_unused=False, if_empty=False)

    asyncio.run(run())
