"""What `hookhouse serve` accepts, and how it commits: one frozen record of its options."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestration.receiver.landing_writer import WriterLimits


@dataclass(frozen=True)
class ServeSettings:
    """The receiver's limits. Every one is a `hookhouse serve` option (README "Receiving hooks")."""

    host: str = "127.0.0.1"
    port: int = 8787
    max_body_bytes: int = 32 * 1024 * 1024
    """A larger body (after gzip decoding, too) is answered 413."""
    max_messages: int = 20_000
    """A batch with more messages is answered 413."""
    rate: float = 1000.0
    """Requests a second per token, on average; 0 turns the limit off."""
    burst: float = 2000.0
    """Requests a token may send at once before the rate applies."""
    body_timeout: float = 30.0
    """Seconds a request may take to send its whole body (a slow sender is answered 408)."""
    max_connections: int = 1000
    """Connections and requests at once; beyond, new ones are answered 503."""
    graceful_seconds: float = 30.0
    """On SIGTERM, how long in-flight requests may take to finish and commit."""
    writer: WriterLimits = field(default_factory=WriterLimits)
