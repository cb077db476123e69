"""The receiver's Prometheus metrics, in a registry of their own (served at `/metrics`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram

from orchestration.receiver.landing_writer import Commit

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FSYNC_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0)


@dataclass
class ReceiverMetrics:
    """Counters and histograms of one receiver process."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        prefix = "hookhouse_receiver"
        registry = self.registry
        self.requests = Counter(
            f"{prefix}_requests", "HTTP requests answered, by endpoint and status code",
            ["endpoint", "status"],
            registry=registry,
        )  # fmt: skip
        self.batches = Counter(f"{prefix}_batches", "Batches committed", registry=registry)
        self.messages = Counter(f"{prefix}_messages", "Messages committed", registry=registry)
        self.bytes = Counter(
            f"{prefix}_bytes", "Body bytes of committed batches, as received", registry=registry
        )
        self.latency = Histogram(
            f"{prefix}_request_seconds", "Time from a hook request to its answer",
            registry=registry, buckets=_LATENCY_BUCKETS,
        )  # fmt: skip
        self.quarantined = Counter(
            f"{prefix}_quarantined", "Bodies kept in the quarantine, by reason", ["reason"],
            registry=registry,
        )  # fmt: skip
        self.commits = Counter(f"{prefix}_commits", "Landing files committed", registry=registry)
        self.fsync = Histogram(
            f"{prefix}_fsync_seconds", "Time to fsync and rename one landing file",
            registry=registry, buckets=_FSYNC_BUCKETS,
        )  # fmt: skip
        self.unavailable = Counter(
            f"{prefix}_unavailable", "Commits refused: landing folder full or not writable",
            registry=registry,
        )  # fmt: skip

    def committed(self, commit: Commit) -> None:
        """The writer's callback: one landing file is durable."""
        self.commits.inc()
        self.fsync.observe(commit.fsync_seconds)
