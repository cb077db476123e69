"""Subscription status over time, per (profile, channel).

The planner decides changes in time order of its decisions (day-start changes, then launches
by launch time). A change is only made to a subscription with no change still pending after
the decision time, so at any decision time a subscription has at most one future change:
`current`/`since`/`previous` answer "status at time t" for every t at or after the latest
decision. A change is also never placed before a send already planned for the same
subscription (`last_send`), so sends only ever reach subscribed subscriptions. Every change
is also logged; when a day is closed the log answers the exact status
at each event's time (the `status` of the event's subscription element).
"""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import DAY, N_CHANNELS, SUBSCRIBED

EARLY = -(2**62)


class SubscriptionState:
    """Status of every (profile, channel) subscription: now, and as logged over time."""

    def __init__(self, status0: np.ndarray, start_ns: int, days: int) -> None:
        self.initial = status0
        self.current = status0.copy()
        self.previous = status0.copy()
        self.since = np.full(status0.shape, EARLY, dtype=np.int64)
        self.last_send = np.full(status0.shape, EARLY, dtype=np.int64)
        self._keys: list[np.ndarray] = []
        self._times: list[np.ndarray] = []
        self._statuses: list[np.ndarray] = []
        self._base = start_ns - DAY
        span_ms = (days + 60) * 86_400_000
        self._bits = int(span_ms).bit_length()
        self._compiled: tuple[np.ndarray, np.ndarray] | None = None

    def free(self, prof: np.ndarray, chan: int | np.ndarray, t: int) -> np.ndarray:
        """True where no change is pending after t (a new change may be decided at t)."""
        return self.since[prof, chan] <= t

    def sendable(self, prof: np.ndarray, chan: int, t0: int, t1: int) -> np.ndarray:
        """Subscribed throughout [t0, t1]: the send window of a launch."""
        since = self.since[prof, chan]
        now = np.where(since <= t0, self.current[prof, chan], self.previous[prof, chan])
        return (now == SUBSCRIBED) & ((since <= t0) | (since > t1))

    def note_sends(self, prof: np.ndarray, chan: int, t: np.ndarray) -> None:
        """Remember planned send times (profiles distinct within one call)."""
        self.last_send[prof, chan] = np.maximum(self.last_send[prof, chan], t)

    def can_change(self, prof: np.ndarray, chan: int | np.ndarray, t: np.ndarray) -> np.ndarray:
        """A change at t must not precede a send already planned (launches are planned in
        time order, but a soft-bounce retry of an earlier launch can come after a later one)."""
        return t > self.last_send[prof, chan]

    def change(
        self, prof: np.ndarray, chan: int | np.ndarray, t: np.ndarray | int, status: int
    ) -> None:
        """Record changes (profiles must be distinct within one call)."""
        prof = np.asarray(prof, dtype=np.int64).reshape(-1)
        if prof.size == 0:
            return
        chan_a = np.broadcast_to(np.asarray(chan, dtype=np.int64), prof.shape)
        t_a = np.broadcast_to(np.asarray(t, dtype=np.int64), prof.shape)
        self.previous[prof, chan_a] = self.current[prof, chan_a]
        self.current[prof, chan_a] = status
        self.since[prof, chan_a] = t_a
        self._keys.append(prof * N_CHANNELS + chan_a)
        self._times.append(np.array(t_a))
        self._statuses.append(np.full(prof.size, status, dtype=np.int8))
        self._compiled = None

    def _composite(self, key: np.ndarray, t: np.ndarray) -> np.ndarray:
        rel = np.clip((t - self._base) // 1_000_000, 0, (1 << self._bits) - 1)
        return (key << self._bits) | rel

    def lookup(self, prof: np.ndarray, chan: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Exact status at each event time (millisecond resolution; a change applies to events
        in its own millisecond, so a status-setting event shows the status it sets)."""
        prof = prof.astype(np.int64)
        chan = chan.astype(np.int64)
        out = self.initial[prof, chan].copy()
        if not self._keys:
            return out
        if self._compiled is None:
            keys = np.concatenate(self._keys)
            times = np.concatenate(self._times)
            statuses = np.concatenate(self._statuses)
            comp = self._composite(keys, times)
            order = np.argsort(comp, kind="stable")
            self._compiled = (comp[order], statuses[order])
        comp_sorted, st_sorted = self._compiled
        key = prof * N_CHANNELS + chan
        q = self._composite(key, t)
        idx = np.searchsorted(comp_sorted, q, side="right") - 1
        valid = idx >= 0
        hit = np.zeros(q.size, dtype=bool)
        hit[valid] = (comp_sorted[idx[valid]] >> self._bits) == key[valid]
        out[hit] = st_sorted[idx[hit]]
        return out
