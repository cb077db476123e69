"""A request's body, read within the receiver's limits: size, time, encoding, media type."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect, Request

REFUSED_MEDIA_TYPES = ("multipart/", "image/", "audio/", "video/", "font/", "model/")
"""Altcraft's `Content-Type` is not documented, so the body is judged, not the header: only a
type that cannot be a JSON body (a multipart form, an image...) is refused with 415."""


class BodyRefused(Exception):
    """The body cannot be taken; `status` and `reason` are the answer."""

    def __init__(self, status: int, reason: str, *, keep: bool = False) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.keep = keep
        """Whether the bytes read are kept in the quarantine (they may hold hooks)."""


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def check_media_type(request: Request) -> None:
    """Refuse (415) a content type that cannot be a JSON batch, such as a multipart form."""
    kind = media_type(request)
    if kind.startswith(REFUSED_MEDIA_TYPES):
        raise BodyRefused(415, f"content type {kind!r} is not JSON", keep=True)


def check_declared_length(request: Request, limit: int) -> None:
    """Refuse (413) before reading when `Content-Length` already says the body is too large."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise BodyRefused(400, f"Content-Length {declared!r} is not a number")
    if int(declared) > limit:
        raise BodyRefused(413, f"the body is {int(declared)} bytes; at most {limit} are taken")


async def _read(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyRefused(413, f"the body is over {limit} bytes")
    return bytes(body)


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole body, as sent: 413 past `limit` bytes, 408 past `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            return await _read(request.stream(), limit)
    except TimeoutError:
        raise BodyRefused(408, f"the body did not arrive within {timeout:g} s") from None
    except ClientDisconnect:  # nobody reads the answer; it is logged and counted
        raise BodyRefused(400, "the sender closed the connection before the body ended") from None


def decoded(request: Request, body: bytes, limit: int) -> bytes:
    """The body with its `Content-Encoding` (gzip or deflate) undone, at most `limit` bytes."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BodyRefused(415, f"content encoding {encoding!r} is not gzip or deflate", keep=True)
    decoder = zlib.decompressobj(31 if "gzip" in encoding else 15)
    try:
        plain = decoder.decompress(body, limit + 1)
    except zlib.error as error:
        reason = f"the {encoding} body cannot be decoded: {error}"
        raise BodyRefused(400, reason, keep=True) from None
    if len(plain) > limit or decoder.unconsumed_tail:
        raise BodyRefused(413, f"the {encoding} body decodes to over {limit} bytes")
    if not decoder.eof:
        raise BodyRefused(400, f"the {encoding} body is truncated", keep=True)
    return plain
