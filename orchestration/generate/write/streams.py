"""The streams of a dump day: NDJSON files (rotated by size or time) and HTTP batch bodies.

Every stream takes records in time order (`write_valid` for a valid original, `write` for
anything else; `rotate=False` keeps a copy or a malformed record in the file of the record
it was derived from) and hands back its closed files.
"""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import SEC
from orchestration.generate.write.layout import GZIP_LEVEL, DayPlace, StreamSpec
from orchestration.generate.write.outfile import OutFile
from orchestration.generate.write.result import MAL_BASE, VALID

KAFKA_ROTATE_BYTES = 64 * 1024 * 1024
SIX_HOURS = 6 * 3600 * SEC
HTTP_MAX_BATCH = 2000
HTTP_WINDOW = 3600 * SEC


class NdjsonStream:
    """One object per line; rotation by size (Kafka) or by 6-hour segment (RabbitMQ).

    `track`: record what each gzip file holds, for `truncate`.
    """

    def __init__(self, place: DayPlace, spec: StreamSpec, track: bool) -> None:
        self.place = place
        self.spec = spec
        self.track = track
        self.file: OutFile | None = None
        self.seq = 0
        self.segment = -1
        self.closed: list[OutFile] = []

    def _name(self, t: int) -> tuple[str, bool]:
        place, spec = self.place, self.spec
        stamp = place.stamp
        if spec.producer == "kafka":
            return f"kafka-altcraft-hooks-p{spec.partition}-{stamp}-{self.seq:03d}.ndjson", spec.gz
        if spec.producer == "rmq":
            hour = ((t - place.day_t0) // (6 * 3600 * SEC)) * 6
            return f"rmq-hookhouse-{stamp}T{hour:02d}.jsonl", False
        if spec.producer == "history":
            return f"history-export-{stamp}.ndjson", spec.gz
        return f"hooks-{place.iso}.ndjson", False

    def _open(self, t: int) -> OutFile:
        name, gz = self._name(t)
        if gz:
            name += ".gz"
        level = GZIP_LEVEL.get(self.spec.producer, 6)
        f = OutFile(self.place.folder / name, f"{self.place.iso}/{name}", gz, level, self.track)
        self.seq += 1
        return f

    def write(self, rec: bytes, t: int, code: int, *, rotate: bool = True) -> None:
        f = self.file
        if rotate:
            if self.spec.producer == "rmq":
                seg = (t - self.place.day_t0) // SIX_HOURS
                if f is not None and seg != self.segment:
                    self._finish()
                    f = None
                self.segment = seg
            elif f is not None and f.raw >= KAFKA_ROTATE_BYTES and self.spec.producer == "kafka":
                self._finish()
                f = None
        if f is None:
            f = self.file = self._open(t)
        f.add(rec, b"\n", code)

    def write_valid(self, rec: bytes, t: int) -> None:
        f = self.file
        producer = self.spec.producer
        if producer == "rmq":
            seg = (t - self.place.day_t0) // SIX_HOURS
            if seg != self.segment:
                self._finish()
                f = None
                self.segment = seg
        elif producer == "kafka" and f is not None and f.raw >= KAFKA_ROTATE_BYTES:
            self._finish()
            f = None
        if f is None:
            f = self.file = self._open(t)
        f.add_valid(rec)

    def _finish(self) -> None:
        if self.file is not None:
            self.file.close()
            self.closed.append(self.file)
            self.file = None

    def close(self) -> list[OutFile]:
        self._finish()
        return self.closed


class BatchStream:
    """HTTP batch bodies: a JSON array per POST, up to HTTP_MAX_BATCH events, or what came
    within HTTP_WINDOW; a batch of one is sometimes sent as a bare object.

    `rng` (the day writer's) decides per batch whether it is gzipped or sent bare.
    """

    def __init__(self, place: DayPlace, spec: StreamSpec, rng: np.random.Generator) -> None:
        self.place = place
        self.spec = spec
        self.rng = rng
        self.batch: list[tuple[bytes, int]] = []
        self.opened = 0
        self.seq = 0
        self.closed: list[OutFile] = []

    def write(self, rec: bytes, t: int, code: int, *, rotate: bool = True) -> None:
        if (
            rotate
            and self.batch
            and (len(self.batch) >= HTTP_MAX_BATCH or t - self.opened >= HTTP_WINDOW)
        ):
            self.flush_batch()
        if not self.batch:
            self.opened = t
        self.batch.append((rec, code))

    def write_valid(self, rec: bytes, t: int) -> None:
        self.write(rec, t, VALID)

    def write_single(self, rec: bytes, t: int, code: int) -> None:
        """A POST of its own (a lone retried or out-of-window event), outside the open batch."""
        held, opened = self.batch, self.opened
        self.batch, self.opened = [(rec, code)], t
        self.flush_batch()
        self.batch, self.opened = held, opened

    def flush_batch(self) -> None:
        if not self.batch:
            return
        place = self.place
        u = self.rng.random()
        secs = max(0, int((self.opened - place.day_t0) // SEC))
        stamp = f"{place.stamp}T{secs // 3600:02d}{secs // 60 % 60:02d}{secs % 60:02d}"
        name = f"http-batch-{stamp}-{self.seq:04d}.json"
        self.seq += 1
        gz = len(self.batch) >= 2 and u < 0.25
        if gz:
            name += ".gz"
        f = OutFile(place.folder / name, f"{place.iso}/{name}", gz, GZIP_LEVEL["http"])
        bare = len(self.batch) == 1 and self.batch[0][1] & 0xFF < MAL_BASE and u > 0.5
        if bare:
            f.add(self.batch[0][0], b"", self.batch[0][1])
        else:
            f.raw_write(b"[")
            last = len(self.batch) - 1
            for k, (rec, code) in enumerate(self.batch):
                f.add(rec, b"," if k < last else b"", code)
            f.raw_write(b"]")
        f.close()
        self.closed.append(f)
        self.batch = []

    def close(self) -> list[OutFile]:
        self.flush_batch()
        return self.closed


Stream = NdjsonStream | BatchStream
