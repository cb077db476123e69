"""`Serializer`: a planned day's rows, sorted by time, as JSON records one at a time.

The common case (a live profile and a subscription) is assembled from cached byte fragments
in the producer's key order (`fast_path`); the rest goes through a dict and orjson
(`envelope`). Both give the same JSON.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import orjson

from orchestration.generate.constants import FAMILY_OF, MS, SEC
from orchestration.generate.plan.events import DayTable, Launch
from orchestration.generate.serialize.dates import format_times
from orchestration.generate.serialize.envelope import envelope
from orchestration.generate.serialize.fast_path import FastPath
from orchestration.generate.serialize.kinds import SLOW_KIND
from orchestration.generate.serialize.lookups import Lookups
from orchestration.generate.serialize.producers import PRODUCER_OPTION
from orchestration.generate.world.accounts import ACCOUNTS
from orchestration.generate.world.model import World

CHUNK_ROWS = 65_536
"""Rows turned into Python objects at a time (keeps memory flat however big a day is)."""


@dataclass
class SortedDay:
    """A day's rows sorted by time: the columns (at each producer's clock precision), the
    event_date strings and the account index of every row."""

    cols: dict[str, np.ndarray]
    dates: list[bytes]
    acct: np.ndarray


class Serializer:
    """Builds the JSON of a day's events; one instance per worker."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.lk = Lookups(world)
        self.fast = FastPath(self.lk)

    def accounts_of(self, table: DayTable) -> np.ndarray:
        """Account index of each row (rows without a profile: the campaign's account)."""
        cols = table.cols
        acct = np.zeros(len(table), dtype=np.int8)
        has_prof = cols["prof"] >= 0
        acct[has_prof] = self.world.profiles.account[cols["prof"][has_prof]]
        no_prof = ~has_prof & (cols["camp"] >= 0)
        camp_acct = np.array([c.account for c in self.world.campaigns], dtype=np.int8)
        acct[no_prof] = camp_acct[cols["camp"][no_prof]]
        return acct

    def prepare(self, table: DayTable, rng: np.random.Generator) -> SortedDay:
        """Apply each producer's clock precision, sort the day by time, format the dates
        (`rng` draws the local offsets of rmq dates)."""
        cols = table.cols
        acct = self.accounts_of(table)
        t = cols["t"].copy()
        et = cols["et"]
        fam = np.array(FAMILY_OF)
        coarse = np.isin(fam[et], ["profile_import", "static_segment"])
        t[coarse] -= t[coarse] % SEC
        millis = np.isin(fam[et], ["popup"])
        t[millis] -= t[millis] % MS
        for a, acc in enumerate(ACCOUNTS):
            if acc.producer == "http":
                m = acct == a
                t[m] -= t[m] % 1000
        order = np.lexsort((np.arange(t.size), t))
        sorted_cols = {k: v[order] for k, v in cols.items()}
        sorted_cols["t"] = t[order]
        acct = acct[order]
        dates: list[bytes] = [b""] * t.size
        for a, acc in enumerate(ACCOUNTS):
            sel = np.flatnonzero(acct == a)
            if sel.size:
                formatted = format_times(sorted_cols["t"][sel], acc.producer, rng)
                for k, s in zip(sel.tolist(), formatted, strict=True):
                    dates[k] = s.encode()
        self.fast.new_day()
        return SortedDay(sorted_cols, dates, acct)

    def iter_records(self, day: SortedDay, launches: dict[int, Launch]) -> Iterator[bytes]:
        """JSON bytes of the sorted rows, one at a time (never a day-long list)."""
        for lo in range(0, len(day.dates), CHUNK_ROWS):
            yield from self._iter_chunk(day, lo, lo + CHUNK_ROWS, launches)

    def _iter_chunk(
        self, day: SortedDay, lo: int, hi: int, launches: dict[int, Launch]
    ) -> Iterator[bytes]:
        c = day.cols
        rows = zip(
            c["et"][lo:hi].tolist(),
            day.dates[lo:hi],
            c["prof"][lo:hi].tolist(),
            c["chan"][lo:hi].tolist(),
            c["launch"][lo:hi].tolist(),
            c["camp"][lo:hi].tolist(),
            c["aux"][lo:hi].tolist(),
            c["aux2"][lo:hi].tolist(),
            c["tries"][lo:hi].tolist(),
            c["flags"][lo:hi].tolist(),
            c["status"][lo:hi].tolist(),
            day.acct[lo:hi].tolist(),
            strict=True,
        )
        lk = self.lk
        campaigns = self.world.campaigns
        dumps = orjson.dumps
        fast = self.fast.record
        producers = lk.producer_of_account
        deleted = lk.p_deleted
        slow_kind = SLOW_KIND
        for et, date, prof, chan, li, ci, aux, aux2, tries, flags, status, a in rows:
            camp = campaigns[ci] if ci >= 0 else None
            launch = launches[li] if li >= 0 else None
            if prof >= 0 and chan >= 0 and not deleted[prof] and not slow_kind[et]:
                yield fast(et, date, prof, chan, camp, launch, aux, aux2, tries, flags, status, a)
                continue
            producer = producers[a]
            env = envelope(
                lk, et, date.decode(), prof, chan, camp, launch, aux, aux2, tries, flags, status,
                a, producer,
            )  # fmt: skip
            yield dumps(env, option=PRODUCER_OPTION[producer])
