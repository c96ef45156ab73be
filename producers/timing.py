"""Record timestamps and pacing for a replay, from TransactionDT (seconds from Vesta's origin).

`wall` (the default, as the cloud demo): the producer's clock at send time. `event`: the
record timestamp follows TransactionDT, anchored so the LAST transaction lands at about now:
Kafka 4 rejects timestamps more than an hour ahead (`log.message.timestamp.after.max.ms`), and
older ones only meet the topic's retention. An identity row takes its transaction's timestamp.

Pacing: as fast as possible (`speedup=None`), or real time with TransactionDT's gaps divided
by `speedup` (2.0 replays a day in twelve hours); both topics share one start, so a transaction
and its identity go out together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIMESTAMP_MODES = ("wall", "event")


@dataclass(frozen=True)
class EventClock:
    """TransactionDT bounds of the file and the wall-clock instant the replay maps them to."""

    dt_min: int
    dt_max: int
    now_ms: int

    @property
    def replay_start_ms(self) -> int:
        """The timestamp of the first transaction: now minus the file's span."""
        return self.now_ms - (self.dt_max - self.dt_min) * 1000

    def timestamps_ms(self, dt: np.ndarray) -> np.ndarray:
        return self.replay_start_ms + (np.asarray(dt, dtype=np.int64) - self.dt_min) * 1000

    def due_seconds(self, dt: np.ndarray, speedup: float) -> np.ndarray:
        """Seconds after the replay's start at which each row is due."""
        return (np.asarray(dt, dtype=np.float64) - self.dt_min) / speedup


def clock_for(dts: np.ndarray, now_ms: int) -> EventClock:
    if len(dts) == 0:
        return EventClock(0, 0, now_ms)
    return EventClock(int(dts.min()), int(dts.max()), now_ms)


@dataclass(frozen=True)
class DtIndex:
    """TransactionID -> TransactionDT, from the pre-pass over the transaction file."""

    ids: np.ndarray  # sorted
    dts: np.ndarray

    @classmethod
    def build(cls, ids: np.ndarray, dts: np.ndarray) -> DtIndex:
        order = np.argsort(ids, kind="stable")
        return cls(np.asarray(ids)[order], np.asarray(dts)[order])

    def lookup(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(TransactionDT, found) for each id; DT is 0 where the id has no transaction."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(self.ids) == 0:
            return np.zeros(len(ids), np.int64), np.zeros(len(ids), bool)
        at = np.clip(np.searchsorted(self.ids, ids), 0, len(self.ids) - 1)
        found = self.ids[at] == ids
        return np.where(found, self.dts[at], 0), found
