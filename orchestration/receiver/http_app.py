"""The HTTP side of the receiver: a Starlette app for Altcraft's "JSON batch request" hook.

`POST /hooks` (or `/`) takes a JSON array of hook messages, or one message, and answers
`200 OK` only once they are durably in `landing/receiver/http/` (`landing_writer`). Answers,
in the order they are decided: 401 without a known token, 429 past the token's rate, 413 for
a body or batch over the limits, 408 for a body too slow to arrive, 415 for a content type or
encoding that is not JSON, 400 for a body that is not a JSON array or object (kept whole in the
quarantine), 503 while shutting down or when the landing disk cannot take the batch (with
`Retry-After`; nothing of the batch is written). Every answer carries `X-Request-Id`, and is
one JSON log line and a count in `/metrics`. `/healthz` and `/readyz` are for probes.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orchestration.paths import DataHome
from orchestration.receiver import quarantine
from orchestration.receiver.json_logs import log
from orchestration.receiver.landing_writer import LandingUnavailable, LandingWriter
from orchestration.receiver.messages import NotABatch, split_batch
from orchestration.receiver.receiver_metrics import ReceiverMetrics
from orchestration.receiver.request_body import (
    BodyRefused,
    check_declared_length,
    check_media_type,
    decoded,
    media_type,
    read_body,
)
from orchestration.receiver.settings import ServeSettings
from orchestration.receiver.tokens import RateLimiter, Tokens, presented_token

LOG = logging.getLogger("hookhouse.receiver")
RETRY_SECONDS = "5"
"""`Retry-After` of a 503: the landing disk is full or not writable, or the receiver stops."""


@dataclass
class ReceiverState:
    """What the endpoints share: the writer, and whether the receiver is stopping."""

    home: DataHome
    settings: ServeSettings
    tokens: Tokens
    metrics: ReceiverMetrics = field(default_factory=ReceiverMetrics)
    draining: bool = False
    writer: LandingWriter | None = None


class _Answer(Exception):
    def __init__(self, status: int, text: str, **headers: str) -> None:
        super().__init__(text)
        self.status, self.text, self.headers = status, text, headers


class HookEndpoint:
    """`POST /hooks`: authenticate, limit, read, split, commit, answer."""

    def __init__(self, state: ReceiverState) -> None:
        self.state = state
        self.limiter = RateLimiter(state.settings.rate, state.settings.burst)

    async def handle(self, request: Request) -> Response:
        """The answer to one hook request."""
        fields: dict[str, Any] = request.scope.setdefault("state", {}).setdefault("log", {})
        try:
            messages = await self._take(request, fields)
        except _Answer as answer:
            fields["reason"] = answer.text
            return PlainTextResponse(answer.text + "\n", answer.status, headers=answer.headers)
        fields["messages"] = messages
        return PlainTextResponse("OK")

    async def _take(self, request: Request, fields: dict[str, Any]) -> int:
        state, settings = self.state, self.state.settings
        headers = request.headers
        token = state.tokens.match(
            presented_token(headers.get("authorization"), headers.get("x-hookhouse-token"))
        )
        if token is None:
            raise _Answer(401, "a known token is needed", **{"WWW-Authenticate": "Bearer"})
        fields["token"] = token
        if wait := self.limiter.retry_after(token):
            raise _Answer(429, "too many requests for this token", **{"Retry-After": str(wait)})
        if state.draining or state.writer is None:
            raise _Answer(503, "the receiver is stopping", **{"Retry-After": RETRY_SECONDS})
        try:
            check_declared_length(request, settings.max_body_bytes)
            raw = await read_body(request, settings.max_body_bytes, settings.body_timeout)
            fields["bytes"] = len(raw)
            try:
                check_media_type(request)
                body = decoded(request, raw, settings.max_body_bytes)
                batch = split_batch(body)
            except NotABatch as error:
                raise BodyRefused(400, str(error), keep=True) from None
        except BodyRefused as refused:
            if refused.keep:
                await self._quarantine(request, fields, raw, refused)
            raise _Answer(refused.status, refused.reason) from None
        if batch.messages > settings.max_messages:
            limit = settings.max_messages
            count = batch.messages
            raise _Answer(413, f"the batch has {count} messages; at most {limit} are taken")
        if batch.messages:
            try:
                await state.writer.write(batch.lines)
            except LandingUnavailable as error:
                raise self._unavailable(error, "landing", "cannot store the batch now") from None
        state.metrics.batches.inc()
        state.metrics.messages.inc(batch.messages)
        state.metrics.bytes.inc(len(raw))
        return batch.messages

    def _unavailable(self, error: LandingUnavailable, where: str, answer: str) -> _Answer:
        """A disk that cannot take a write: counted, logged, and answered 503 with Retry-After."""
        self.state.metrics.unavailable.inc()
        log(LOG, logging.ERROR, f"{where} unavailable", error=str(error))
        return _Answer(503, answer, **{"Retry-After": RETRY_SECONDS})

    async def _quarantine(
        self, request: Request, fields: dict[str, Any], raw: bytes, refused: BodyRefused
    ) -> None:
        state = self.state
        details = {
            "source": "http",
            "request_id": fields["request_id"],
            "remote": request.client.host if request.client else None,
            "content_type": media_type(request),
            "content_encoding": request.headers.get("content-encoding"),
            "user_agent": request.headers.get("user-agent"),
            "token": fields.get("token"),
            "status": refused.status,
        }
        try:
            kept = await asyncio.to_thread(
                quarantine.keep, state.home.quarantine, "http", fields["request_id"], raw,
                refused.reason, details, state.settings.writer,
            )  # fmt: skip
        except LandingUnavailable as error:
            raise self._unavailable(error, "quarantine", "cannot keep the body now") from None
        state.metrics.quarantined.labels(str(refused.status)).inc()
        fields["quarantined"] = kept.name


_ENDPOINTS = {"/hooks": "hooks", "/": "hooks", "/healthz": "healthz", "/readyz": "readyz",
              "/metrics": "metrics"}  # fmt: skip
"""The `endpoint` label of a path; any other path is `other` (labels stay few)."""


class RequestLog:
    """ASGI middleware: a request id, one log line, and the metrics of every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: ReceiverMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = uuid.uuid4().hex
        fields: dict[str, Any] = {"request_id": request_id}
        scope.setdefault("state", {})["log"] = fields
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                header = (b"x-request-id", request_id.encode())
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            path = scope.get("path", "")
            endpoint = _ENDPOINTS.get(path, "other")
            self.metrics.requests.labels(endpoint, str(status)).inc()
            if endpoint == "hooks":
                self.metrics.latency.observe(seconds)
            if endpoint in ("hooks", "other"):
                # An unknown path is not logged: a sender may have put its token in it.
                shown = path if endpoint == "hooks" else f"(other path, {len(path)} characters)"
                level = logging.INFO if status < 500 else logging.ERROR
                log(
                    LOG, level, "request", method=scope.get("method"), path=shown, status=status,
                    ms=round(seconds * 1000, 3), **fields,
                )  # fmt: skip


def create_app(state: ReceiverState) -> ASGIApp:
    """The receiver as an ASGI app; its lifespan starts and finally closes the writer."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        writer = LandingWriter(
            state.home.receiver_landing / "http", state.settings.writer,
            on_commit=state.metrics.committed,
        )  # fmt: skip
        await writer.start()
        state.writer = writer
        try:
            yield
        finally:
            state.draining = True
            await writer.close()
            log(LOG, logging.INFO, "landing writer closed", commits=writer.commits)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(request: Request) -> Response:
        if state.draining or state.writer is None:
            return PlainTextResponse("stopping\n", 503)
        return PlainTextResponse("ready\n")

    async def metrics(request: Request) -> Response:
        exposition = await asyncio.to_thread(generate_latest, state.metrics.registry)
        return Response(exposition, headers={"Content-Type": CONTENT_TYPE_LATEST})

    hooks = HookEndpoint(state)
    app = Starlette(
        routes=[
            Route("/hooks", hooks.handle, methods=["POST"]),
            Route("/", hooks.handle, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    return RequestLog(app, state.metrics)
