"""One connection of `hookhouse consume rabbitmq`: declare, consume, land groups, acknowledge.

Deliveries go from the consume callback into an asyncio queue, which the broker's prefetch
bounds. They are cut into groups: a group closes `max_delay` seconds after its first message,
at half the prefetch (so that the next group gathers while one is being written), or at the
writer's file size. Each group is landed (`rabbitmq_landing.Lander`) while the next gathers,
and groups are settled strictly in delivery order: a group is acknowledged only once it is
durable and every group before it is settled, with one `basic.ack(multiple=True)` on its last
delivery tag when its tags are exactly the ones that follow the last settled tag (a channel
numbers its deliveries 1, 2, 3...), else one by one. So "multiple" never covers a message that
is not durable.

A stop (signal, or `--stop-when-idle`) cancels the consumer, lands and acknowledges what is in
hand, and ends the session. If the connection or the channel closes, or the broker cancels the
consumer (the queue was deleted: the next session declares it again), the session ends with
`ConnectionLost`: what it had not acknowledged is redelivered by the broker to the next
session, and at worst landed twice, which the ingest's `event_key` de-duplicates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage, AbstractQueue
from aiormq.exceptions import (
    ChannelAccessRefused,
    ChannelNotFoundEntity,
    ChannelPreconditionFailed,
)

from orchestration.receiver.json_logs import log
from orchestration.receiver.rabbitmq_landing import LOGGER, Landed, Lander, Stats

_T = TypeVar("_T")
Message = AbstractIncomingMessage


@dataclass(frozen=True)
class ConsumeConfig:
    """What `hookhouse consume rabbitmq` consumes, and how (its command-line options)."""

    url: str
    queue: str
    exchange: str | None = None
    exchange_type: str | None = None
    """Declare the exchange (durable) with this type if it is missing; None: it must exist."""
    bindings: tuple[str, ...] = ()
    prefetch: int = 1000
    max_delay: float = 0.5
    max_backoff: float = 30.0
    stop_when_idle: float | None = None
    group_bytes: int = 64 * 1024 * 1024


class SetupError(Exception):
    """The broker's topology cannot be used (no such exchange, no permission): not retried."""


class ConnectionLost(Exception):
    """The connection or the channel closed under the session."""


async def _probe(connection: AbstractConnection, declare: Any) -> Any:
    """`declare(channel)` on a channel of its own (a failed passive declare closes it)."""
    channel = await connection.channel(publisher_confirms=False)
    try:
        return await declare(channel)
    finally:
        if not channel.is_closed:
            await channel.close()


async def _ensure_exchange(connection: AbstractConnection, config: ConsumeConfig) -> None:
    assert config.exchange is not None
    name, kind = config.exchange, config.exchange_type
    try:
        await _probe(connection, lambda channel: channel.get_exchange(name, ensure=True))
        return
    except ChannelNotFoundEntity:
        if kind is None:
            raise SetupError(
                f"the exchange {name!r} does not exist on the broker (Altcraft declares it; "
                "--exchange-type direct|topic declares it here)"
            ) from None
    try:
        await _probe(
            connection,
            lambda channel: channel.declare_exchange(name, kind, durable=True),
        )
    except ChannelPreconditionFailed as error:
        raise SetupError(f"the exchange {name!r} cannot be declared: {error}") from None
    log(LOGGER, logging.INFO, "declared the exchange", exchange=name, type=kind)


async def _ensure_queue(connection: AbstractConnection, name: str) -> None:
    try:
        await _probe(connection, lambda channel: channel.get_queue(name, ensure=True))
        return
    except ChannelNotFoundEntity:
        pass
    await _probe(connection, lambda channel: channel.declare_queue(name, durable=True))
    log(LOGGER, logging.INFO, "declared the queue (durable)", queue=name)


async def declare(
    connection: AbstractConnection, channel: AbstractChannel, config: ConsumeConfig
) -> AbstractQueue:
    """The queue to consume, on `channel`: checked or declared durable, and bound if asked."""
    try:
        if config.exchange is not None:
            await _ensure_exchange(connection, config)
        await _ensure_queue(connection, config.queue)
        queue = await channel.get_queue(config.queue, ensure=True)
        for key in config.bindings:
            assert config.exchange is not None
            await queue.bind(config.exchange, routing_key=key)
    except ChannelAccessRefused as error:
        raise SetupError(f"the broker refused access: {error}") from None
    except ChannelPreconditionFailed as error:
        raise SetupError(f"the broker refused the declaration: {error}") from None
    return queue


class Session:
    """Consumes on one connection until a stop or until the connection is lost."""

    def __init__(
        self,
        connection: AbstractConnection,
        config: ConsumeConfig,
        lander: Lander,
        stop: asyncio.Event,
        stats: Stats,
    ) -> None:
        self._connection = connection
        self._config = config
        self._lander = lander
        self._stop = stop
        self._stats = stats
        self._deliveries: asyncio.Queue[Message] = asyncio.Queue(maxsize=config.prefetch)
        self._landing: asyncio.Queue[tuple[list[Message], asyncio.Task[Landed]] | None]
        self._landing = asyncio.Queue()
        self._failed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._group_size = max(1, config.prefetch // 2)
        self._settled_tag = 0
        """Every delivery tag up to this one is settled (acknowledged or given back)."""
        self._in_order = True
        """False once a group's tags did not follow on: "multiple" is then never used again."""
        self._taking = True
        self.consuming = False
        """Whether consuming started (then a reconnection starts its backoff again)."""
        self.unsettled = 0

    def _on_close(self, _sender: Any, error: BaseException | None = None) -> None:
        if not self._failed.done():
            self._failed.set_result(str(error) if error else "closed")

    def _on_cancelled(self, _frame: Any) -> None:
        self._on_close(None, ConnectionLost("the broker cancelled the consumer (queue deleted?)"))

    async def _deliver(self, message: Message) -> None:
        if not self._taking:  # after the final flush of a stop: the broker keeps it
            await message.nack(requeue=True)
            return
        self._stats.add("messages")
        self.unsettled += 1
        await self._deliveries.put(message)

    async def run(self) -> str:
        """Consume until a stop ("signal" or "idle"); raises `ConnectionLost`, `SetupError`."""
        self._connection.close_callbacks.add(self._on_close)
        channel = await self._connection.channel(publisher_confirms=False)
        channel.close_callbacks.add(self._on_close)
        underlay = await channel.get_underlay_channel()
        underlay.on_consumer_cancel_callbacks.add(self._on_cancelled)
        await channel.set_qos(prefetch_count=self._config.prefetch)
        queue = await declare(self._connection, channel, self._config)
        tag = await queue.consume(self._deliver)
        self.consuming = True
        ready = queue.declaration_result.message_count
        log(LOGGER, logging.INFO, "consuming", queue=queue.name, ready=ready,
            prefetch=self._config.prefetch)  # fmt: skip
        settler = asyncio.create_task(self._settle_loop(), name="rabbitmq-settle")
        settler.add_done_callback(self._on_settler_done)
        stopping = asyncio.create_task(self._stop.wait())
        try:
            reason = await self._gather_loop(stopping)
            await self._guard(queue.cancel(tag))
            for _ in range(3):  # deliveries read before the cancel-ok reach the callback
                await asyncio.sleep(0)
            self._taking = False
            self._flush()
            self._landing.put_nowait(None)
            await self._guard(asyncio.shield(settler))
            return reason
        finally:
            stopping.cancel()
            settler.cancel()
            self._connection.close_callbacks.discard(self._on_close)

    def _on_settler_done(self, settler: asyncio.Task[None]) -> None:
        if not settler.cancelled() and settler.exception() is not None:
            self._on_close(None, settler.exception())

    async def _guard(self, awaitable: Awaitable[_T]) -> _T:
        """`awaitable`'s result, unless the connection closes (or settling fails) first."""
        task = asyncio.ensure_future(awaitable)
        if not self._failed.done():
            waits: set[asyncio.Future[Any]] = {task, self._failed}
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        raise ConnectionLost(self._failed.result())

    async def _next(self, timeout: float | None, stopping: asyncio.Task[Any]) -> Message | None:
        """The next delivery; None after `timeout` seconds or on a stop."""
        try:
            return self._deliveries.get_nowait()
        except asyncio.QueueEmpty:
            if timeout is not None and timeout <= 0:
                return None
        get = asyncio.create_task(self._deliveries.get())
        waits: set[asyncio.Future[Any]] = {get, self._failed, stopping}
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if get.done():
            return get.result()
        get.cancel()
        if self._failed.done():
            raise ConnectionLost(self._failed.result())
        return None

    async def _gather_loop(self, stopping: asyncio.Task[Any]) -> str:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            first = await self._next(self._config.stop_when_idle, stopping)
            if first is None:
                if self._stop.is_set():
                    break
                log(LOGGER, logging.INFO, "idle: stopping", queue=self._config.queue,
                    idle_seconds=self._config.stop_when_idle)  # fmt: skip
                self._stop.set()
                return "idle"
            group, size = [first], len(first.body)
            deadline = loop.time() + self._config.max_delay
            while len(group) < self._group_size and size < self._config.group_bytes:
                message = await self._next(deadline - loop.time(), stopping)
                if message is None:
                    break
                group.append(message)
                size += len(message.body)
            self._submit(group)
        return "signal"

    def _submit(self, group: list[Message]) -> None:
        task = asyncio.create_task(self._lander.land(group), name="rabbitmq-land")
        self._landing.put_nowait((group, task))

    def _flush(self) -> None:
        """Submit what is in hand, in groups."""
        group: list[Message] = []
        while not self._deliveries.empty():
            group.append(self._deliveries.get_nowait())
            if len(group) == self._group_size:
                self._submit(group)
                group = []
        if group:
            self._submit(group)

    async def _settle_loop(self) -> None:
        pending: list[asyncio.Task[Landed]] = []
        try:
            while (item := await self._landing.get()) is not None:
                group, task = item
                pending.append(task)
                landed = await task
                pending.remove(task)
                await self._settle(group, landed)
        finally:
            for task in pending:
                task.cancel()
            while not self._landing.empty():
                if (item := self._landing.get_nowait()) is not None:
                    item[1].cancel()

    async def _settle(self, group: list[Message], landed: Landed) -> None:
        tags = [message.delivery_tag or 0 for message in group]
        following = range(self._settled_tag + 1, self._settled_tag + 1 + len(tags))
        multiple = self._in_order and tags == list(following)
        if not multiple and self._in_order:
            self._in_order = False
            log(LOGGER, logging.WARNING, "delivery tags out of order: settling one by one",
                queue=self._config.queue, first=tags[0], expected=following.start)  # fmt: skip
        if landed.durable:
            if multiple:
                await group[-1].ack(multiple=True)
            else:
                for message in group:
                    await message.ack()
            self._stats.add("acked", len(group))
            self._stats.add("groups")
            self._stats.add("events", landed.events)
            log(LOGGER, logging.INFO, "landed", queue=self._config.queue, messages=len(group),
                events=landed.events, quarantined=landed.quarantined,
                file=str(landed.file) if landed.file else None)  # fmt: skip
        else:
            if multiple:
                await group[-1].nack(multiple=True, requeue=True)
            else:
                for message in group:
                    await message.nack(requeue=True)
            self._stats.add("requeued", len(group))
            log(LOGGER, logging.WARNING, "gave the group back to the broker unlanded",
                queue=self._config.queue, messages=len(group))  # fmt: skip
        self.unsettled -= len(group)
        if multiple:
            self._settled_tag = tags[-1]
