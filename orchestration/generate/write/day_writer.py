"""`DayWriter`: writes one event day's records (serialized, in time order) as landing files.

Most records go straight to their stream; those with a defect (see `defect_plan`) are
written late, duplicated, given an oddity and/or followed by a malformed record derived from
them.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import numpy as np

from orchestration.generate.constants import DAY
from orchestration.generate.write.defect_plan import DefectPlan, draw_defects
from orchestration.generate.write.defects import (
    JSON_SAFE,
    MALFORMED_KINDS,
    TEXT_ONLY,
    apply_oddity,
    make_malformed,
    reserialize,
)
from orchestration.generate.write.layout import (
    MIXED_STREAMS,
    NDJSON_STREAMS,
    DayPlace,
    WriterConfig,
    day_folder,
)
from orchestration.generate.write.outfile import OutFile
from orchestration.generate.write.result import DUP, LATE_BIT, MAL_BASE, ODD_SHIFT, VALID, DayResult
from orchestration.generate.write.side_files import Held, side_files
from orchestration.generate.write.streams import BatchStream, NdjsonStream, Stream
from orchestration.generate.write.truncate import truncate_last

CHUNK_ROWS = 65_536
"""Records handled per chunk of the row arrays (turned into Python lists a chunk at a time)."""
PRODUCER_CODES = {"kafka": 0, "rmq": 1, "http": 2, "history": 3}
"""The codes of `stream_index`'s producer argument."""


class DayWriter:
    """Writes the records of one event day; its RNG is `SeedSequence([seed, 3, day])`."""

    def __init__(self, cfg: WriterConfig, day: int) -> None:
        self.cfg = cfg
        self.day = day
        folder, iso, stamp = day_folder(cfg, day)
        day_t0 = int(
            np.datetime64(cfg.start, "D").astype("datetime64[ns]").astype(np.int64) + day * DAY
        )
        self.place = DayPlace(folder, iso, stamp, day_t0)
        self.rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 3, day]))
        self.specs = MIXED_STREAMS if cfg.layout == "mixed" else NDJSON_STREAMS
        self.track_stream = "kafka0" if day == cfg.truncate_day else ""
        self.streams: list[Stream] = [
            BatchStream(self.place, s, self.rng)
            if s.kind == "batch"
            else NdjsonStream(self.place, s, s.name == self.track_stream)
            for s in self.specs
        ]
        self._is_batch = [s.kind == "batch" for s in self.specs]
        self.redelivered: dict[int, list[Held]] = {}
        self.deferred: dict[tuple[int, int], list[Held]] = {}
        self.result = DayResult()

    def stream_index(self, producer_of_row: np.ndarray, partition_of_row: np.ndarray) -> np.ndarray:
        """Stream of each row from its producer code (`PRODUCER_CODES`) and partition."""
        if self.cfg.layout != "mixed":
            return np.zeros(producer_of_row.size, dtype=np.int8)
        names = [s.producer for s in self.specs]
        out = np.zeros(producer_of_row.size, dtype=np.int8)
        for producer, code in PRODUCER_CODES.items():
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
        """Write the day's records (with their event instants, stream indexes and orjson
        options) and return what was written; `type_counts`: events per type, for the report."""
        exempt = np.array([s.name == self.track_stream for s in self.specs])[stream]
        batch_rows = np.flatnonzero(np.array(self._is_batch)[stream])
        plan = draw_defects(self.rng, self.cfg, self.day, exempt, batch_rows)
        special = plan.special
        self.result.by_type = dict(type_counts)
        fast = [st.write_valid for st in self.streams]
        rows = iter(records)
        n = int(times.size)
        for lo in range(0, n, CHUNK_ROWS):
            hi = min(n, lo + CHUNK_ROWS)
            special_l = special[lo:hi].tolist()
            times_l = times[lo:hi].tolist()
            stream_l = stream[lo:hi].tolist()
            for j, rec in enumerate(islice(rows, hi - lo)):
                if not special_l[j]:
                    fast[stream_l[j]](rec, times_l[j])
                    continue
                self._special(rec, times_l[j], stream_l[j], int(options[lo + j]), plan, lo + j)
        return self._close()

    def _special(self, rec: bytes, t: int, s: int, opt: int, plan: DefectPlan, i: int) -> None:
        """Record i, with a defect: oddity, late, duplicated, and/or followed by a malformed
        one (`s`: its stream, `opt`: its producer's orjson options)."""
        late, mode = int(plan.late_to[i]), int(plan.dup_mode[i])
        mal, odd, rand = int(plan.mal_kind[i]), int(plan.odd_kind[i]), int(plan.rand[i])
        code = VALID
        if odd >= 0:
            rec, k = apply_oddity(rec, odd, opt)
            if k >= 0:
                code |= (k + 1) << ODD_SHIFT
        st = self.streams[s]
        if late >= 0:
            self.deferred.setdefault((late, s), []).append((t, rec, code | LATE_BIT))
        else:
            if bool(plan.single[i]) and isinstance(st, BatchStream):
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
                dup_to = int(plan.dup_to[i])
                self.deferred.setdefault((dup_to, s), []).append((t, rec, DUP | LATE_BIT | extra))
        if mal >= 0:
            kind = MALFORMED_KINDS[mal][0]
            if self._is_batch[s] and kind in TEXT_ONLY:
                mal = JSON_SAFE[rand % len(JSON_SAFE)]
                kind = MALFORMED_KINDS[mal][0]
            bad = make_malformed(rec, kind, rand, opt)
            if late >= 0:
                self.deferred.setdefault((late, s), []).append((t, bad, MAL_BASE + mal))
            else:
                st.write(bad, t, MAL_BASE + mal, rotate=False)

    def _close(self) -> DayResult:
        files: list[OutFile] = []
        for s, items in sorted(self.redelivered.items()):
            files += self._side(self.day, s, items, "redelivered")
        for st in self.streams:
            files += st.close()
        if self.track_stream:
            tracked = [f for f in files if f.track is not None]
            truncate_last(tracked, self.rng, self.result)
        for (target, s), items in sorted(self.deferred.items()):
            files += self._side(target, s, items, "late")
        for f in files:
            if f.valid:
                self.result.count(VALID, f.valid)
            for code, times in f.counts.items():
                self.result.count(code, times)
            if f.rel:
                self.result.files.append(f.rel)
        return self.result

    def _side(self, target: int, s: int, items: list[Held], kind: str) -> list[OutFile]:
        """Re-delivery (same day) or lag/retry (a later dump day) records of stream s; in the
        ndjson layout re-deliveries go into the day's own file."""
        if self.cfg.layout != "mixed" and kind == "redelivered":
            st = self.streams[s]
            for t, rec, code in items:
                st.write(rec, t, code, rotate=False)
            return []
        spec = self.specs[s]
        return side_files(self.cfg, self.day, self.place.stamp, spec, target, items, kind)
