"""Write one planned day as landing files, with duplicates, late events and malformed records.

Layout `mixed` (one folder per dump day, `YYYY-MM-DD/`), by producer:

| stream | files |
|---|---|
| kafka (account 23), partition 0 | `kafka-altcraft-hooks-p0-YYYYMMDD-NNN.ndjson.gz` (64 MB) |
| kafka (account 23), partition 1 | `kafka-altcraft-hooks-p1-YYYYMMDD-NNN.ndjson` (64 MB) |
| rmq (account 161) | `rmq-hookhouse-YYYYMMDDTHH.jsonl`, one per 6 hours |
| http (account 1042) | `http-batch-YYYYMMDDTHHMMSS-NNNN.json`, a quarter `.json.gz` |
| historical export (deleted profiles) | `history-export-YYYYMMDD.ndjson.gz` |

An HTTP batch is a JSON array of up to 2,000 events, closed after an hour; a batch of one is
sometimes sent as a bare object.

Duplicates (exact copies of a record): next to the original in the same file, re-serialized
with another key order in the same file, in a same-day re-delivery file
(`...-redelivered...`, `http-retry-...`), or in a later day's lag/retry file. Late events are
written into the folder of a later dump day (1 to 3 days later) in lag/retry files named after
their source day (`...-lag-from-YYYYMMDD...`, `http-retry-from-YYYYMMDD-...`). Malformed
records sit next to the record they were derived from.

Layout `ndjson`: one plain `YYYY-MM-DD/hooks-YYYY-MM-DD.ndjson` per dump day; late records and
cross-day duplicates are appended to the later day's file by the caller (`spill/`).

Records are streamed into per-file buffers, never held as a day-long list (fresh memory is
expensive; a reused buffer is not).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from pathlib import Path

import numpy as np

from orchestration.generate.constants import DAY, SEC
from orchestration.generate.defects import (
    MALFORMED_KINDS,
    ODDITY_KINDS,
    TEXT_ONLY,
    apply_oddity,
    make_malformed,
    reserialize,
)

VALID, DUP = 0, 1
MAL_BASE = 16
LATE_BIT = 1 << 8
ODD_SHIFT = 9

KAFKA_ROTATE_BYTES = 64 * 1024 * 1024
SIX_HOURS = 6 * 3600 * SEC
HTTP_MAX_BATCH = 2000
HTTP_WINDOW = 3600 * SEC
RETRY_BATCH = 500
SINGLES_PER_DAY = 2.0
"""HTTP events posted on their own (a file with one event: a bare object or an array of one)."""
BUFFER_BYTES = 1 << 20
CHUNK_ROWS = 65_536
DUP_MODES = (0.35, 0.15, 0.30, 0.20)
"""adjacent copy, re-serialized copy in the same file, same-day other file, later day."""
LATE_DELAY = ((1, 0.7), (2, 0.2), (3, 0.1))
SPILL_DIR = ".hookhouse-spill"
GZIP_LEVEL = {"kafka": 1, "http": 6, "history": 6}


@dataclass(frozen=True)
class StreamSpec:
    name: str
    kind: str  # "ndjson" or "batch"
    producer: str
    gz: bool = False
    partition: int = 0


MIXED_STREAMS = (
    StreamSpec("kafka0", "ndjson", "kafka", gz=True, partition=0),
    StreamSpec("kafka1", "ndjson", "kafka", gz=False, partition=1),
    StreamSpec("rmq", "ndjson", "rmq"),
    StreamSpec("http", "batch", "http"),
    StreamSpec("history", "ndjson", "history", gz=True),
)
NDJSON_STREAMS = (StreamSpec("all", "ndjson", "all"),)


@dataclass
class WriterConfig:
    out_dir: Path
    layout: str
    seed: int
    start: date
    days: int
    duplicate_rate: float
    late_rate: float
    malformed_rate: float
    truncate_day: int = -1


@dataclass
class FileStat:
    path: str
    counts: dict[int, int] = field(default_factory=dict)


@dataclass
class DayResult:
    """What one day's writer produced; summed up into the report."""

    day: int
    files: list[str] = field(default_factory=list)
    events: int = 0
    duplicates: int = 0
    late: int = 0
    malformed: dict[str, int] = field(default_factory=dict)
    oddities: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    truncated: dict[str, dict[str, int]] = field(default_factory=dict)

    def count(self, code: int, times: int = 1) -> None:
        cat = code & 0xFF
        if cat >= MAL_BASE:
            kind = MALFORMED_KINDS[cat - MAL_BASE][0]
            self.malformed[kind] = self.malformed.get(kind, 0) + times
            return
        self.events += times
        if cat == DUP:
            self.duplicates += times
        if code & LATE_BIT:
            self.late += times
        odd = (code >> ODD_SHIFT) - 1
        if odd >= 0:
            self.oddities[ODDITY_KINDS[odd]] = self.oddities.get(ODDITY_KINDS[odd], 0) + times


def day_folder(cfg: WriterConfig, day: int) -> tuple[Path, str, str]:
    d = cfg.start + timedelta(days=day)
    return cfg.out_dir / d.isoformat(), d.isoformat(), d.strftime("%Y%m%d")


class OutFile:
    """One file being written: plain or gzip (mtime 0, no name), through a reused buffer."""

    def __init__(self, path: Path, rel: str, gz: bool, level: int, track: bool = False) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.rel = rel
        self.handle = path.open("wb")
        self.z = zlib.compressobj(level, zlib.DEFLATED, 31) if gz else None
        self.buf = bytearray()
        self.raw = 0
        self.counts: dict[int, int] = {}
        self.valid = 0
        self.track: list[tuple[int, int]] | None = [] if track else None

    def add(self, data: bytes, sep: bytes, code: int) -> None:
        self.buf += data
        self.buf += sep
        self.raw += len(data) + len(sep)
        self.counts[code] = self.counts.get(code, 0) + 1
        if self.track is not None:
            self.track.append((self.raw, code))
        if len(self.buf) >= BUFFER_BYTES:
            self.flush()

    def add_valid(self, data: bytes) -> None:
        """add() for the common case: a valid original record on its own line."""
        buf = self.buf
        buf += data
        buf += b"\n"
        self.raw += len(data) + 1
        self.valid += 1
        if self.track is not None:
            self.track.append((self.raw, VALID))
        if len(buf) >= BUFFER_BYTES:
            self.flush()

    def raw_write(self, data: bytes) -> None:
        self.buf += data
        self.raw += len(data)

    def flush(self) -> None:
        if self.buf:
            self.handle.write(self.z.compress(self.buf) if self.z else self.buf)
            self.buf.clear()

    def close(self) -> None:
        self.flush()
        if self.z is not None:
            self.handle.write(self.z.flush())
        self.handle.close()


class NdjsonStream:
    """One object per line; rotation by size (Kafka) or by 6-hour segment (RabbitMQ)."""

    def __init__(self, writer: DayWriter, spec: StreamSpec) -> None:
        self.w = writer
        self.spec = spec
        self.file: OutFile | None = None
        self.seq = 0
        self.segment = -1
        self.closed: list[OutFile] = []

    def _name(self, t: int) -> tuple[str, bool]:
        w, spec = self.w, self.spec
        stamp = w.stamp
        if spec.producer == "kafka":
            return f"kafka-altcraft-hooks-p{spec.partition}-{stamp}-{self.seq:03d}.ndjson", spec.gz
        if spec.producer == "rmq":
            hour = ((t - w.day_t0) // (6 * 3600 * SEC)) * 6
            return f"rmq-hookhouse-{stamp}T{hour:02d}.jsonl", False
        if spec.producer == "history":
            return f"history-export-{stamp}.ndjson", spec.gz
        return f"hooks-{w.iso}.ndjson", False

    def _open(self, t: int) -> OutFile:
        name, gz = self._name(t)
        if gz:
            name += ".gz"
        track = self.w.track_stream == self.spec.name
        level = GZIP_LEVEL.get(self.spec.producer, 6)
        f = OutFile(self.w.folder / name, f"{self.w.iso}/{name}", gz, level, track)
        self.seq += 1
        return f

    def write(self, rec: bytes, t: int, code: int, *, rotate: bool = True) -> None:
        f = self.file
        if rotate:
            if self.spec.producer == "rmq":
                seg = (t - self.w.day_t0) // SIX_HOURS
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
            seg = (t - self.w.day_t0) // SIX_HOURS
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
    within HTTP_WINDOW; a batch of one is sometimes sent as a bare object."""

    def __init__(self, writer: DayWriter, spec: StreamSpec, prefix: str = "http-batch") -> None:
        self.w = writer
        self.spec = spec
        self.prefix = prefix
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
        w = self.w
        u = w.rng.random()
        secs = max(0, int((self.opened - w.day_t0) // SEC))
        stamp = f"{w.stamp}T{secs // 3600:02d}{secs // 60 % 60:02d}{secs % 60:02d}"
        name = f"{self.prefix}-{stamp}-{self.seq:04d}.json"
        self.seq += 1
        gz = len(self.batch) >= 2 and u < 0.25
        if gz:
            name += ".gz"
        f = OutFile(w.folder / name, f"{w.iso}/{name}", gz, GZIP_LEVEL["http"])
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


class DayWriter:
    """Writes the records of one event day (already serialized, in time order)."""

    def __init__(self, cfg: WriterConfig, day: int) -> None:
        self.cfg = cfg
        self.day = day
        self.folder, self.iso, self.stamp = day_folder(cfg, day)
        self.day_t0 = int(
            np.datetime64(cfg.start, "D").astype("datetime64[ns]").astype(np.int64) + day * DAY
        )
        self.rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 3, day]))
        self.specs = MIXED_STREAMS if cfg.layout == "mixed" else NDJSON_STREAMS
        self.track_stream = "kafka0" if day == cfg.truncate_day else ""
        self.streams = [
            BatchStream(self, s) if s.kind == "batch" else NdjsonStream(self, s) for s in self.specs
        ]
        self.redelivered: dict[int, list[tuple[int, bytes, int]]] = {}
        self.deferred: dict[tuple[int, int], list[tuple[int, bytes, int]]] = {}
        self.result = DayResult(day)

    def stream_index(self, producer_of_row: np.ndarray, partition_of_row: np.ndarray) -> np.ndarray:
        """Stream of each row from its producer name code and partition."""
        if self.cfg.layout != "mixed":
            return np.zeros(producer_of_row.size, dtype=np.int8)
        names = [s.producer for s in self.specs]
        out = np.zeros(producer_of_row.size, dtype=np.int8)
        for code, producer in enumerate(("kafka", "rmq", "http", "history")):
            sel = producer_of_row == code
            if producer == "kafka":
                out[sel & (partition_of_row == 0)] = 0
                out[sel & (partition_of_row == 1)] = 1
            else:
                out[sel] = names.index(producer)
        return out

    def write(
        self,
        records: Iterable[bytes],
        times: np.ndarray,
        stream: np.ndarray,
        options: np.ndarray,
        type_counts: dict[str, int],
    ) -> DayResult:
        cfg = self.cfg
        rng = self.rng
        n = int(times.size)
        exempt = np.array([s.name == self.track_stream for s in self.specs])[stream]
        late = (rng.random(n) < cfg.late_rate) & ~exempt
        delays = np.array([d for d, _ in LATE_DELAY])
        late_to = np.where(
            late,
            np.minimum(self.day + rng.choice(delays, n, p=[p for _, p in LATE_DELAY]), cfg.days),
            -1,
        )
        dup = (rng.random(n) < cfg.duplicate_rate) & ~exempt & ~late
        dup_mode = np.where(dup, rng.choice(len(DUP_MODES), n, p=DUP_MODES), -1)
        dup_to = np.minimum(
            self.day + rng.choice(delays, n, p=[p for _, p in LATE_DELAY]), cfg.days
        )
        mal = rng.random(n) < cfg.malformed_rate
        kinds = [k for k, _ in MALFORMED_KINDS]
        weights = np.array([w for _, w in MALFORMED_KINDS])
        mal_kind = np.where(mal, rng.choice(len(kinds), n, p=weights / weights.sum()), -1)
        odd = rng.random(n) < cfg.malformed_rate
        odd_kind = np.where(odd, rng.integers(0, len(ODDITY_KINDS), n), -1)
        rand = rng.integers(0, 1 << 30, n)
        batch_rows = np.flatnonzero(np.array([s.kind == "batch" for s in self.specs])[stream])
        single = np.zeros(n, dtype=bool)
        k = min(int(rng.poisson(SINGLES_PER_DAY)), batch_rows.size)
        single[rng.choice(batch_rows, size=k, replace=False)] = True
        single &= late_to < 0

        special = (late_to >= 0) | (dup_mode >= 0) | (mal_kind >= 0) | (odd_kind >= 0) | single
        self.result.by_type = dict(type_counts)
        self._json_ok = [i for i, k in enumerate(kinds) if k not in TEXT_ONLY]
        self._is_batch = [s.kind == "batch" for s in self.specs]
        fast = [st.write_valid for st in self.streams]
        rows = iter(records)
        for lo in range(0, n, CHUNK_ROWS):
            hi = min(n, lo + CHUNK_ROWS)
            special_l = special[lo:hi].tolist()
            times_l = times[lo:hi].tolist()
            stream_l = stream[lo:hi].tolist()
            for j, rec in enumerate(islice(rows, hi - lo)):
                if not special_l[j]:
                    fast[stream_l[j]](rec, times_l[j])
                    continue
                i = lo + j
                self._special(
                    rec, times_l[j], stream_l[j], int(options[i]), int(late_to[i]),
                    int(dup_mode[i]), int(dup_to[i]), int(mal_kind[i]), int(odd_kind[i]),
                    int(rand[i]), bool(single[i]),
                )  # fmt: skip
        return self._close()

    def _special(
        self, rec: bytes, t: int, s: int, opt: int, late: int, mode: int, dup_to: int,
        mal: int, odd: int, rand: int, single: bool,
    ) -> None:  # fmt: skip
        """A record with a defect: oddity, late, duplicated, and/or followed by a malformed one."""
        code = VALID
        if odd >= 0:
            rec, k = apply_oddity(rec, odd, opt)
            if k >= 0:
                code |= (k + 1) << ODD_SHIFT
        st = self.streams[s]
        if late >= 0:
            self.deferred.setdefault((late, s), []).append((t, rec, code | LATE_BIT))
        else:
            if single and isinstance(st, BatchStream):
                st.write_single(rec, t, code)
            else:
                st.write(rec, t, code)
            extra = code & ~0xFF
            if mode == 0:
                st.write(rec, t, DUP | extra, rotate=False)
            elif mode == 1:
                st.write(reserialize(rec, opt), t, DUP | extra, rotate=False)
            elif mode == 2:
                self.redelivered.setdefault(s, []).append((t, rec, DUP | extra))
            elif mode == 3:
                self.deferred.setdefault((dup_to, s), []).append((t, rec, DUP | LATE_BIT | extra))
        if mal >= 0:
            kind = MALFORMED_KINDS[mal][0]
            if self._is_batch[s] and kind in TEXT_ONLY:
                mal = self._json_ok[rand % len(self._json_ok)]
                kind = MALFORMED_KINDS[mal][0]
            bad = make_malformed(rec, kind, rand, opt)
            if late >= 0:
                self.deferred.setdefault((late, s), []).append((t, bad, MAL_BASE + mal))
            else:
                st.write(bad, t, MAL_BASE + mal, rotate=False)

    # ------------------------------------------------------------------ closing

    def _close(self) -> DayResult:
        files: list[OutFile] = []
        for s, items in sorted(self.redelivered.items()):
            files += self._side_file(self.day, s, items, kind="redelivered")
        for st in self.streams:
            files += st.close()
        if self.track_stream:
            self._truncate([f for f in files if f.track is not None])
        for (target, s), items in sorted(self.deferred.items()):
            files += self._side_file(target, s, items, kind="late")
        for f in files:
            if f.valid:
                self.result.count(VALID, f.valid)
            for code, times in f.counts.items():
                self.result.count(code, times)
            if f.rel:
                self.result.files.append(f.rel)
        return self.result

    def _side_file(self, target: int, s: int, items: list[tuple[int, bytes, int]], kind: str):
        """Re-delivery files (same day) and lag/retry files (a later dump day)."""
        cfg = self.cfg
        spec = self.specs[s]
        folder, iso, _ = day_folder(cfg, target)
        src = self.stamp
        if cfg.layout != "mixed":
            if kind == "redelivered":
                st = self.streams[s]
                for t, rec, code in items:
                    st.write(rec, t, code, rotate=False)
                return []
            rel = f"{SPILL_DIR}/{target:05d}/{self.day:05d}.ndjson"
            f = OutFile(cfg.out_dir / rel, rel, False, 0)
            for _t, rec, code in items:
                f.add(rec, b"\n", code)
            f.close()
            f.rel = ""  # merged into the target day's file by the caller
            return [f]
        if spec.kind == "batch":
            out = []
            prefix = "http-retry" if kind == "redelivered" else f"http-retry-from-{src}"
            for k in range(0, len(items), RETRY_BATCH):
                chunk = items[k : k + RETRY_BATCH]
                name = (
                    f"{prefix}-{k // RETRY_BATCH:04d}.json"
                    if kind != "redelivered"
                    else f"{prefix}-{src}-{k // RETRY_BATCH:04d}.json"
                )
                f = OutFile(folder / name, f"{iso}/{name}", False, 0)
                f.raw_write(b"[")
                for j, (_t, rec, code) in enumerate(chunk):
                    f.add(rec, b"," if j < len(chunk) - 1 else b"", code)
                f.raw_write(b"]")
                f.close()
                out.append(f)
            return out
        if spec.producer == "kafka":
            base = f"kafka-altcraft-hooks-p{spec.partition}"
            name = (
                f"{base}-{src}-redelivered.ndjson"
                if kind == "redelivered"
                else f"{base}-lag-from-{src}.ndjson"
            )
        elif spec.producer == "rmq":
            name = (
                f"rmq-hookhouse-{src}-redelivered.jsonl"
                if kind == "redelivered"
                else f"rmq-hookhouse-lag-from-{src}.jsonl"
            )
        else:
            name = (
                f"history-export-{src}-retry.ndjson"
                if kind == "redelivered"
                else f"history-export-lag-from-{src}.ndjson"
            )
        f = OutFile(folder / name, f"{iso}/{name}", False, 0)
        for _t, rec, code in items:
            f.add(rec, b"\n", code)
        f.close()
        return [f]

    def _truncate(self, tracked: list[OutFile]) -> None:
        """Cut the last gzip file of the tracked stream short, as a crashed consumer would."""
        if not tracked:
            return
        f = tracked[-1]
        if f.track is None or len(f.track) < 100 or f.z is None:
            return
        data = f.path.read_bytes()
        cut = int(len(data) * float(self.rng.uniform(0.55, 0.9)))
        data = data[:cut]
        f.path.write_bytes(data)
        recovered = len(zlib.decompressobj(31).decompress(data))
        kept: dict[int, int] = {}
        complete = 0
        for end, code in f.track:
            if end <= recovered:
                kept[code] = kept.get(code, 0) + 1
                complete += 1
        total = len(f.track)
        f.counts = kept
        f.valid = 0
        self.result.malformed["truncated_gzip"] = self.result.malformed.get("truncated_gzip", 0) + 1
        self.result.truncated[f.rel] = {"records_written": total, "records_readable": complete}
