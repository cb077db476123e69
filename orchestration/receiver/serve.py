"""`hookhouse serve`: the HTTP receiver on uvicorn, its options, and its graceful stop."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from pathlib import Path
from types import FrameType

import uvicorn

from orchestration.paths import DataHome
from orchestration.receiver import json_logs
from orchestration.receiver.http_app import ReceiverState, create_app
from orchestration.receiver.json_logs import log
from orchestration.receiver.landing_writer import WriterLimits
from orchestration.receiver.settings import ServeSettings
from orchestration.receiver.tokens import TokenError, Tokens

LOG = logging.getLogger("hookhouse.receiver")
MIB = 1024 * 1024


class _DrainingServer(uvicorn.Server):
    """uvicorn's server, marking the receiver as stopping as soon as SIGTERM or SIGINT comes:
    `/readyz` turns 503 and new hooks are refused while in-flight ones commit."""

    def __init__(self, config: uvicorn.Config, state: ReceiverState) -> None:
        super().__init__(config)
        self.receiver = state

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.receiver.draining:
            log(LOG, logging.INFO, "stopping: committing in-flight batches", signal=sig)
        self.receiver.draining = True
        super().handle_exit(sig, frame)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        for server in self.servers:
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                log(LOG, logging.INFO, "listening", host=host, port=port)


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ServeSettings()
    limits = WriterLimits()
    add = parser.add_argument
    add("--host", default=defaults.host, help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=defaults.port, help="port (default 8787; 0: any free port)")
    add("--token-file", type=Path, help="accepted tokens, one a line; re-read when it changes")
    add("--max-body-mib", type=float, default=defaults.max_body_bytes / MIB,
        help="largest body taken, after gzip decoding (default 32 MiB)")  # fmt: skip
    add("--max-messages", type=int, default=defaults.max_messages,
        help="most messages in one batch (default 20000)")  # fmt: skip
    add("--rate", type=float, default=defaults.rate,
        help="requests a second per token (default 1000; 0: no limit)")  # fmt: skip
    add("--burst", type=float, default=defaults.burst, help="burst per token (default 2000)")
    add("--body-timeout", type=float, default=defaults.body_timeout,
        help="seconds a body may take to arrive (default 30)")  # fmt: skip
    add("--max-connections", type=int, default=defaults.max_connections,
        help="connections at once; beyond, 503 (default 1000)")  # fmt: skip
    add("--commit-delay-ms", type=float, default=limits.max_delay * 1000,
        help="how long a batch waits to share its commit (default 20 ms)")  # fmt: skip
    add("--max-file-mib", type=float, default=limits.max_file_bytes / MIB,
        help="largest landing file (default 64 MiB)")  # fmt: skip
    add("--min-free-mib", type=float, default=limits.min_free_bytes / MIB,
        help="answer 503 when the landing disk has less free (default 256 MiB)")  # fmt: skip
    add("--graceful-seconds", type=float, default=defaults.graceful_seconds,
        help="on SIGTERM, time for in-flight batches to commit (default 30)")  # fmt: skip
    add("--log-level", default="info", choices=["debug", "info", "warning", "error"])


def settings_from(args: argparse.Namespace) -> ServeSettings:
    return ServeSettings(
        host=args.host,
        port=args.port,
        max_body_bytes=int(args.max_body_mib * MIB),
        max_messages=args.max_messages,
        rate=args.rate,
        burst=args.burst,
        body_timeout=args.body_timeout,
        max_connections=args.max_connections,
        graceful_seconds=args.graceful_seconds,
        writer=WriterLimits(
            max_delay=args.commit_delay_ms / 1000,
            max_file_bytes=int(args.max_file_mib * MIB),
            min_free_bytes=int(args.min_free_mib * MIB),
        ),
    )


def serve(home: DataHome, settings: ServeSettings, tokens: Tokens) -> int:
    """Run the receiver until SIGTERM or SIGINT; 0 once every in-flight batch is committed."""
    state = ReceiverState(home, settings, tokens)
    config = uvicorn.Config(
        create_app(state),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=15,
        timeout_graceful_shutdown=int(settings.graceful_seconds),
    )
    server = _DrainingServer(config, state)
    log(LOG, logging.INFO, "starting", landing=str(home.receiver_landing / "http"),
        tokens=len(tokens.all()), max_body_bytes=settings.max_body_bytes)  # fmt: skip
    for stop in (signal.SIGTERM, signal.SIGINT):  # uvicorn raises them again once it stopped:
        signal.signal(stop, lambda sig, frame: None)  # a graceful stop then exits 0
    server.run()
    return 0 if server.started else 1


def serve_command(args: argparse.Namespace) -> int:
    json_logs.configure(args.log_level)
    try:
        tokens = Tokens.load(args.token_file)
    except TokenError as error:
        print(f"hookhouse serve: {error}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # token files are re-read without a signal
    return serve(DataHome.from_env(), settings_from(args), tokens)
