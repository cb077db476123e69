"""`hookhouse consume rabbitmq`: Altcraft's hooks from a RabbitMQ queue into landing files.

Altcraft publishes each event as one message (docs/hook-message-format.md 4.2 and 4.3): to a
queue, or to an exchange (direct or topic) with the routing key `<db_id>.<event_type>`. The
consumer reads one durable queue: `--queue`, declared durable if it is missing; or, with
`--exchange`, that queue (by default `hookhouse.<exchange>`) bound to the exchange with each
`--binding` (`*.click`, `111.#`). The exchange is Altcraft's: it must exist, unless
`--exchange-type` says how to declare it. Messages land in groups through the group-commit
writer in `landing/receiver/rabbitmq/<queue>/<UTC day>/`, and a message is acknowledged only
once its group is durable (`rabbitmq_session`, `rabbitmq_landing`); a body that is not JSON is
kept in the quarantine, then acknowledged.

When the broker cannot be reached, or the connection drops, the consumer connects again after
0.5 s, doubling up to `--max-backoff`; what it had not acknowledged is redelivered by the broker
and landed again at worst, which the ingest's `event_key` de-duplicates. SIGTERM or SIGINT stop
it: it stops consuming, lands and acknowledges what it holds, and exits 0 (a second signal
exits at once, 130; nothing unacknowledged is lost). Usage and setup errors (no URL, no such
exchange, credentials refused at the first connection) exit 2.

The broker URL comes from `--url` or, better, `HOOKHOUSE_RABBITMQ_URL` (then the password is
not on the command line). The log (one JSON object per line on standard error, `json_logs`)
names the broker without its password, and any line that would contain it has it masked;
the AMQP libraries' own lines (which repeat the consumer's) appear only with `--log-level debug`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import aio_pika
from aio_pika.abc import AbstractConnection
from aiormq.exceptions import (
    AMQPError,
    AuthenticationError,
    ChannelInvalidStateError,
    ConnectionNotAllowed,
    ProbableAuthenticationError,
)
from prometheus_client import CollectorRegistry, start_http_server

from orchestration.paths import DataHome
from orchestration.receiver import json_logs
from orchestration.receiver.json_logs import log
from orchestration.receiver.landing_writer import Commit, LandingWriter, WriterLimits
from orchestration.receiver.rabbitmq_landing import (
    LOGGER,
    Backoff,
    Lander,
    Stats,
    landing_folder,
    wait_or_stop,
)
from orchestration.receiver.rabbitmq_session import (
    ConnectionLost,
    ConsumeConfig,
    Session,
    SetupError,
)

URL_ENV = "HOOKHOUSE_RABBITMQ_URL"
PROG = "hookhouse consume rabbitmq"
CONNECT_TIMEOUT = 10.0
_REFUSED = (AuthenticationError, ProbableAuthenticationError, ConnectionNotAllowed)
_TRANSIENT = (AMQPError, ConnectionLost, ChannelInvalidStateError, OSError, TimeoutError)


class UsageError(ValueError):
    """The options cannot be used together (or the URL is missing or not an AMQP URL)."""


def _number(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text}: must be between {low} and {high}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its error
    return parse


def add_consume_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `hookhouse consume rabbitmq`."""
    parser.add_argument(
        "--url",
        default=os.environ.get(URL_ENV),
        help=f"the broker, amqp://user:password@host:port/vhost (default: ${URL_ENV}, "
        "which keeps the password off the command line)",
    )
    parser.add_argument("--queue", help="the queue to consume (declared durable if missing)")
    parser.add_argument(
        "--exchange", help="Altcraft's exchange: consume a queue bound to it (it must exist)"
    )
    parser.add_argument(
        "--binding",
        action="append",
        default=[],
        metavar="KEY",
        help="a routing key (pattern) to bind with --exchange, e.g. '*.click' or '111.#'; "
        "repeatable; the queue is then --queue, or hookhouse.<exchange>",
    )
    parser.add_argument(
        "--exchange-type",
        choices=["direct", "topic"],
        help="declare the exchange (durable) with this type if it does not exist",
    )
    parser.add_argument(
        "--prefetch",
        type=_number(int, 1, 65535),
        default=1000,
        help="messages held unacknowledged at most (default 1000)",
    )
    parser.add_argument(
        "--max-delay",
        type=_number(float, 0.001, 60),
        default=0.5,
        help="seconds a group of messages gathers before it is written, at most: a group is "
        "also cut at half the prefetch (default 0.5)",
    )
    parser.add_argument(
        "--max-backoff",
        type=_number(float, 0.5, 3600),
        default=30.0,
        help="longest wait between reconnection attempts, seconds (default 30)",
    )
    parser.add_argument(
        "--stop-when-idle",
        type=_number(float, 0.01, 86400),
        metavar="SECONDS",
        help="stop (exit 0) once no message has come for this long: drain the queue and exit",
    )
    parser.add_argument(
        "--metrics-port",
        type=_number(int, 1, 65535),
        help="serve Prometheus counters on http://127.0.0.1:PORT/metrics",
    )
    parser.add_argument(
        "--log-level", choices=["debug", "info", "warning", "error"], default="info"
    )


def public_url(url: str) -> str:
    """The broker URL without its password (and without its query)."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    host = f"[{parts.hostname}]" if parts.hostname and ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path or '/'}"


def config_from(args: argparse.Namespace) -> ConsumeConfig:
    """The options as a `ConsumeConfig`; `UsageError` says what is wrong with them."""
    if not args.url:
        raise UsageError(f"no broker URL: set {URL_ENV} (or pass --url)")
    try:
        parts = urlsplit(args.url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        raise UsageError("the broker URL cannot be read (amqp://user:pass@host/vhost)") from None
    if parts.scheme not in ("amqp", "amqps") or not parts.hostname:
        raise UsageError("the broker URL must be amqp://... or amqps://... with a host")
    if args.exchange is None and (args.binding or args.exchange_type):
        raise UsageError("--binding and --exchange-type need --exchange")
    if args.exchange is not None and not args.binding:
        raise UsageError("--exchange needs at least one --binding (a routing key or pattern)")
    if args.exchange is None and not args.queue:
        raise UsageError("say what to consume: --queue NAME, or --exchange NAME --binding KEY")
    return ConsumeConfig(
        url=args.url,
        queue=args.queue or f"hookhouse.{args.exchange}",
        exchange=args.exchange,
        exchange_type=args.exchange_type,
        bindings=tuple(args.binding),
        prefetch=args.prefetch,
        max_delay=args.max_delay,
        max_backoff=args.max_backoff,
        stop_when_idle=args.stop_when_idle,
    )


class _Masked(logging.Filter):
    """Masks the URL's password in every line: message, fields and traceback."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True)

    def _mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        fields = dict(getattr(record, "fields", None) or {})
        if record.exc_info:
            fields["error"] = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        record.msg, record.args = self._mask(record.getMessage()), None
        record.fields = {key: self._mask(str(value)) if isinstance(value, str | BaseException)
                         else value for key, value in fields.items()}  # fmt: skip
        return True


def _configure_logging(level: str, url: str) -> None:
    json_logs.configure(level)
    password = urlsplit(url).password or ""
    masked = _Masked([password, unquote(password)])
    for handler in logging.getLogger().handlers:
        handler.addFilter(masked)
    logging.captureWarnings(True)
    # The AMQP libraries log each failed connection attempt and close as errors, with
    # tracebacks, which the consumer's own lines already say: theirs only with debug.
    quiet = logging.WARNING if level == "debug" else logging.CRITICAL
    for name in ("aio_pika", "aiormq"):
        logging.getLogger(name).setLevel(quiet)


async def consume(config: ConsumeConfig, home: DataHome, stats: Stats) -> int:
    """Consume until stopped (see the module doc); the exit code."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main = asyncio.current_task()
    signals: list[int] = []

    def on_signal(number: int) -> None:
        signals.append(number)
        if len(signals) == 1:
            log(LOGGER, logging.INFO, "stopping: landing and acknowledging what is in hand",
                signal=signal.Signals(number).name)  # fmt: skip
            stop.set()
        elif main is not None:
            log(LOGGER, logging.WARNING, "stopping now: what is unacknowledged is redelivered")
            main.cancel()

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, on_signal, number)
    folder = landing_folder(home.receiver_landing, config.queue)
    writer = LandingWriter(folder, WriterLimits(max_delay=0.0), on_commit=_log_commit)
    await writer.start()
    lander = Lander(writer, home.quarantine, config.queue, stop, stats,
                    max_backoff=config.max_backoff)  # fmt: skip
    log(LOGGER, logging.INFO, "starting", broker=public_url(config.url), queue=config.queue,
        exchange=config.exchange, bindings=list(config.bindings), landing=str(folder),
        prefetch=config.prefetch, max_delay=config.max_delay)  # fmt: skip
    code = 130  # unless _connections returns: cancelled by a second signal
    try:
        code = await _connections(config, lander, stop, stats)
        return code
    finally:
        await writer.close()
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)
        if code != 2:  # a usage or setup error is the last line
            log(LOGGER, logging.INFO, "stopped", queue=config.queue, exit_code=code,
                **stats.counts)  # fmt: skip


def _log_commit(commit: Commit) -> None:
    log(LOGGER, logging.DEBUG, "committed", file=str(commit.path), batches=commit.batches,
        bytes=commit.bytes, fsync_seconds=round(commit.fsync_seconds, 4))  # fmt: skip


async def _connections(config: ConsumeConfig, lander: Lander, stop: asyncio.Event,
                       stats: Stats) -> int:  # fmt: skip
    """Connect, consume, and connect again after a failure, until a stop."""
    backoff = Backoff(cap=config.max_backoff)
    broker = public_url(config.url)
    consumed = False
    name = f"hookhouse consume rabbitmq ({socket.gethostname()}:{os.getpid()})"
    while not stop.is_set():
        try:
            connection = await _connect(config.url, name, stop)
            if connection is None:
                break
        except _REFUSED as error:
            if not consumed:
                log(LOGGER, logging.ERROR, "the broker refused the connection (credentials or "
                    "virtual host)", broker=broker, error=str(error))  # fmt: skip
                return 2
            await _pause(backoff, stop, "the broker refused the connection", broker, error)
            continue
        except _TRANSIENT as error:
            await _pause(backoff, stop, "cannot connect to the broker", broker, error)
            continue
        log(LOGGER, logging.INFO, "connected", broker=broker)
        session = Session(connection, config, lander, stop, stats)
        try:
            await session.run()
            return 0
        except SetupError as error:
            log(LOGGER, logging.ERROR, str(error), broker=broker, queue=config.queue)
            return 2
        except _TRANSIENT as error:
            if session.consuming:
                consumed = True
                backoff.reset()
                stats.add("reconnects")
            await _pause(backoff, stop, "lost the connection to the broker", broker, error,
                         unacknowledged=session.unsettled)  # fmt: skip
        finally:
            try:
                await connection.close()
            except Exception as error:  # it is gone already: nothing to give back
                log(LOGGER, logging.DEBUG, "closing the connection failed", error=repr(error))
    return 0


async def _connect(url: str, name: str, stop: asyncio.Event) -> AbstractConnection | None:
    """A connection to the broker; None if a stop comes first."""
    connecting = asyncio.ensure_future(
        aio_pika.connect(url, timeout=CONNECT_TIMEOUT, client_properties={"connection_name": name})
    )
    stopping = asyncio.ensure_future(stop.wait())
    waits: set[asyncio.Future[Any]] = {connecting, stopping}
    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if connecting.done():
        return connecting.result()
    connecting.cancel()
    with contextlib.suppress(BaseException):
        await connecting
    return None


async def _pause(backoff: Backoff, stop: asyncio.Event, what: str, broker: str,
                 error: BaseException, **fields: Any) -> None:  # fmt: skip
    delay = backoff.next()
    log(LOGGER, logging.WARNING, f"{what}; retrying", broker=broker,
        error=str(error) or type(error).__name__, retry_in=delay, **fields)  # fmt: skip
    await wait_or_stop(stop, delay)


def consume_command(args: argparse.Namespace) -> int:
    """Run `hookhouse consume rabbitmq` with parsed `args`; the exit code."""
    try:
        config = config_from(args)
    except UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    _configure_logging(args.log_level, config.url)
    registry = CollectorRegistry() if args.metrics_port else None
    stats = Stats(config.queue, registry)
    server = None
    if registry is not None:
        try:
            server, _thread = start_http_server(args.metrics_port, "127.0.0.1", registry)
        except OSError as error:
            log(LOGGER, logging.ERROR, "cannot serve metrics", port=args.metrics_port,
                error=str(error))  # fmt: skip
            return 2
        log(LOGGER, logging.INFO, "metrics", url=f"http://127.0.0.1:{args.metrics_port}/metrics")
    try:
        return asyncio.run(consume(config, DataHome.from_env(), stats))
    except asyncio.CancelledError:  # a second signal
        return 130
    except Exception:
        LOGGER.exception("the consumer failed")
        return 1
    finally:
        if server is not None:
            server.shutdown()
