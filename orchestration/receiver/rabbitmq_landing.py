"""A group of RabbitMQ messages, landed: split into NDJSON lines, written durably, or quarantined.

Each message body is one Altcraft event (or an array of them, `messages.split_batch`). The lines
of every message of a group go to the group-commit writer as one write, so a group is one
landing file (or part of one). A body that is not a hook batch (not JSON, not UTF-8, not an
array or object) is kept whole in the quarantine with its reason and how it came (routing key,
exchange, queue, message id, headers without credentials); it is then acknowledged like the
others, since the broker would redeliver it forever. When the landing or the quarantine cannot
be written (`LandingUnavailable`), the group is retried with exponential backoff, its messages
held unacknowledged (the broker sends no more than the prefetch meanwhile), until it lands or
the consumer stops, when it is given back to the broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aio_pika.abc import AbstractIncomingMessage
from prometheus_client import CollectorRegistry, Counter

from orchestration.receiver import quarantine
from orchestration.receiver.json_logs import log
from orchestration.receiver.landing_writer import LandingUnavailable, LandingWriter, WriterLimits
from orchestration.receiver.messages import NotABatch, split_batch

LOGGER = logging.getLogger("hookhouse.consume")
SOURCE = "rabbitmq"
"""The receiver's name in `landing/receiver/` and `quarantine/`."""

_SECRET_HEADER = re.compile(r"auth|token|secret|pass|cookie|credential|signature|key", re.I)
_T = TypeVar("_T")

COUNTS = {
    "messages": "Messages delivered by the broker (redeliveries included).",
    "events": "NDJSON lines landed (one per event).",
    "groups": "Groups landed and acknowledged.",
    "quarantined": "Messages whose body is not a hook batch, kept in the quarantine.",
    "acked": "Messages acknowledged after their group was durable.",
    "requeued": "Messages given back to the broker unlanded (a stop while landing failed).",
    "landing_failures": "Failed attempts to write a group (landing or quarantine unavailable).",
    "reconnects": "Connections lost after consuming had started.",
}


def landing_folder(receiver_landing: Path, queue: str) -> Path:
    """`<receiver landing>/rabbitmq/<queue>`, the queue's name made a safe, visible folder name."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", queue)[:200] or "_"
    if name.startswith("."):  # a hidden folder is never read by the ingest
        name = "_" + name
    return receiver_landing / SOURCE / name


@dataclass
class Backoff:
    """Exponential delays: `first`, doubling up to `cap`; `reset` starts again."""

    first: float = 0.5
    cap: float = 30.0
    _next: float = field(default=0.0, repr=False)

    def next(self) -> float:
        delay = self._next or self.first
        self._next = min(delay * 2, self.cap)
        return min(delay, self.cap)

    def reset(self) -> None:
        self._next = 0.0


class Stats:
    """What the consumer did: the counts of `COUNTS`, also Prometheus counters if registered."""

    def __init__(self, queue: str, registry: CollectorRegistry | None = None) -> None:
        self.counts = dict.fromkeys(COUNTS, 0)
        self._counters = {}
        if registry is not None:
            for name, documentation in COUNTS.items():
                counter = Counter(
                    f"hookhouse_rabbitmq_{name}", documentation, ["queue"], registry=registry
                )
                self._counters[name] = counter.labels(queue=queue)

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount
        if name in self._counters:
            self._counters[name].inc(amount)


@dataclass(frozen=True)
class Landed:
    """How a group went: durable (then acknowledge it) or not (then give it back)."""

    durable: bool
    file: Path | None = None
    events: int = 0
    quarantined: int = 0


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _plain(value: Any, depth: int = 0) -> Any:
    """A header value as JSON can hold it."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict) and depth < 4:
        return {str(key): _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple) and depth < 4:
        return [_plain(item, depth + 1) for item in value]
    return str(value)


def safe_headers(headers: dict[str, Any] | None) -> dict[str, Any]:
    """The message's headers, with the value of any that may carry a credential left out."""
    return {
        str(name): "[redacted]" if _SECRET_HEADER.search(str(name)) else _plain(value)
        for name, value in (headers or {}).items()
    }


class Lander:
    """Lands groups of one queue's messages (see the module doc)."""

    def __init__(
        self,
        writer: LandingWriter,
        quarantine_folder: Path,
        queue: str,
        stop: asyncio.Event,
        stats: Stats,
        *,
        max_backoff: float = 30.0,
    ) -> None:
        self._writer = writer
        self._quarantine = quarantine_folder
        self._queue = queue
        self._stop = stop
        self._stats = stats
        self._max_backoff = max_backoff

    async def land(self, group: list[AbstractIncomingMessage]) -> Landed:
        """Write the group durably (quarantining bad bodies); `durable=False` if it was not."""
        chunks: list[bytes] = []
        events = 0
        bad: list[tuple[AbstractIncomingMessage, str]] = []
        for message in group:
            try:
                batch = split_batch(message.body)
            except NotABatch as error:
                bad.append((message, str(error)))
                continue
            except Exception as error:  # a body that breaks the splitter: kept, not redelivered
                bad.append((message, f"the body could not be split: {error!r}"))
                continue
            chunks.append(batch.lines)
            events += batch.messages
        backoff = Backoff(cap=self._max_backoff)
        for message, reason in bad:
            if (
                await self._retrying(backoff, functools.partial(self._keep, message, reason))
                is None
            ):
                return Landed(durable=False)
        landed: Path | None = None
        if events:
            lines = b"".join(chunks)
            landed = await self._retrying(backoff, lambda: self._writer.write(lines))
            if landed is None:
                return Landed(durable=False)
        return Landed(durable=True, file=landed, events=events, quarantined=len(bad))

    async def _keep(self, message: AbstractIncomingMessage, reason: str) -> Path:
        kept_id = uuid.uuid4().hex
        details = {
            "routing_key": message.routing_key,
            "exchange": message.exchange,
            "queue": self._queue,
            "message_id": message.message_id,
            "content_type": message.content_type,
            "redelivered": message.redelivered,
            "headers": safe_headers(message.headers),
        }
        path = await asyncio.to_thread(
            quarantine.keep,
            self._quarantine,
            SOURCE,
            kept_id,
            message.body,
            reason,
            details,
            WriterLimits(),
        )
        self._stats.add("quarantined")
        log(
            LOGGER,
            logging.WARNING,
            "quarantined a message that is not a hook batch",
            queue=self._queue,
            id=kept_id,
            reason=reason,
            routing_key=message.routing_key,
            file=str(path),
        )
        return path

    async def _retrying(self, backoff: Backoff, attempt: Callable[[], Awaitable[_T]]) -> _T | None:
        """`attempt()`, again after each `LandingUnavailable`; None once stopping."""
        while True:
            try:
                return await attempt()
            except LandingUnavailable as error:
                self._stats.add("landing_failures")
                if self._stop.is_set():
                    log(LOGGER, logging.ERROR, "landing unavailable while stopping",
                        queue=self._queue, error=str(error))  # fmt: skip
                    return None
                delay = backoff.next()
                log(LOGGER, logging.ERROR, "landing unavailable; the group is held, not acked",
                    queue=self._queue, error=str(error), retry_in=delay)  # fmt: skip
                await wait_or_stop(self._stop, delay)
