"""The pipeline's LEFT interval join (02_join.sql) as Flink runs it, for Quix Streams.

Quix's own `join_interval(how="left")` emits a transaction at once when no identity row is
there yet, and again joined when one comes: two rows for one transaction. Flink emits a
transaction joined as soon as its identity row is there, and unmatched only once no identity
row can come any more: when the watermark passes the end of its window. This join does the
same with Quix's state stores (both sides kept per TransactionID, as Quix's joins keep them)
and a timer per transaction at T + 60 s, fired by a watermark computed as Flink computes it.

The two topics are not co-partitioned as Quix means it: each table's Kafka key is Avro with
its own schema id, so one TransactionID's key bytes, and so its partition, differ between
them (Flink shuffles by the decoded TransactionID instead). Quix's own joins would miss most
matches. This join looks a TransactionID up in every partition's store of the other side:
right while one process holds every partition, as here; an application scaled out would
have to repartition both topics first (`group_by`, one more Kafka round trip per record).
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Any, cast

from quixstreams.context import message_context
from quixstreams.dataframe.joins.base import Join
from quixstreams.state.rocksdb.timestamped import TimestampedPartitionTransaction

if TYPE_CHECKING:
    from quixstreams.dataframe.dataframe import StreamingDataFrame

from benchmarks.quix.watermark import KEY, Row, Watermark, joined

WINDOW_MS = 60_000  # i.$rowtime BETWEEN t.$rowtime - INTERVAL '1' MINUTE AND ... + '1' MINUTE
PENDING = b"pending"  # the prefix under which each transaction waits for its window's end


class FlinkLeftIntervalJoin(Join):
    """Transactions LEFT JOIN identities on TransactionID, identity time within a minute of
    the transaction's either way, unmatched transactions emitted on the watermark."""

    def __init__(self, watermark: Watermark, partitions: int, window_ms: int = WINDOW_MS) -> None:
        super().__init__(how="left", on_merge=joined, grace_ms=7 * 24 * 3600 * 1000)
        self._watermark = watermark
        self._partitions = range(partitions)
        self._window_ms = window_ms
        self._timers: list[tuple[int, int]] = []  # (fire at, partition), earliest first
        self._swept: dict[int, int] = {}  # partition -> end of the last sweep

    def _prepare_join(
        self, left: StreamingDataFrame, right: StreamingDataFrame
    ) -> StreamingDataFrame:
        self._register_store(left, keep_duplicates=True)
        self._register_store(right, keep_duplicates=True)
        window = self._window_ms

        def on_transaction(value: Row, _key: Any, timestamp: int, _headers: Any) -> list[Row]:
            prefix = _prefix(value)
            self._store(left).set_for_timestamp(timestamp, value, prefix)
            self._store(left).set_for_timestamp(timestamp, [timestamp, value], PENDING)
            partition = message_context().partition
            heapq.heappush(self._timers, (timestamp + window, partition))
            matches = self._around(right, timestamp, prefix)
            rows = [joined(value, identity) for identity in matches]
            return rows + self._fire(left, right, message_context().topic, timestamp)

        def on_identity(value: Row, _key: Any, timestamp: int, _headers: Any) -> list[Row]:
            prefix = _prefix(value)
            self._store(right).set_for_timestamp(timestamp, value, prefix)
            matches = self._around(left, timestamp, prefix)
            rows = [joined(transaction, value) for transaction in matches]
            return rows + self._fire(left, right, message_context().topic, timestamp)

        left = left.apply(on_transaction, expand=True, metadata=True)
        right = right.apply(on_identity, expand=True, metadata=True)
        return left.concat(right)

    def _store(
        self, sdf: StreamingDataFrame, partition: int | None = None
    ) -> TimestampedPartitionTransaction:
        """The side's store for `partition` (default: the current record's)."""
        return cast(
            TimestampedPartitionTransaction,
            sdf.processing_context.checkpoint.get_store_transaction(
                stream_id=sdf.stream_id,
                partition=message_context().partition if partition is None else partition,
                store_name=self._store_name,
            ),
        )

    def _around(self, sdf: StreamingDataFrame, timestamp: int, prefix: bytes) -> list[Row]:
        """The side's rows of one TransactionID within a minute of `timestamp`, whichever
        partition holds them."""
        start, end = timestamp - self._window_ms, timestamp + self._window_ms + 1
        return [
            row
            for partition in self._partitions
            for row in self._store(sdf, partition).get_interval(start, end, prefix)
        ]

    def _fire(
        self, left: StreamingDataFrame, right: StreamingDataFrame, topic: str, timestamp: int
    ) -> list[Row]:
        """Advance the watermark with this record; each transaction whose window it passed
        (T + 60 s < watermark, as Flink's cleanup timer at T + 60 s + 1 ms) leaves the join,
        emitted unmatched if no identity row came within its window."""
        watermark = self._watermark.advance(topic, message_context().partition, timestamp)
        due: set[int] = set()
        while watermark is not None and self._timers and self._timers[0][0] < watermark:
            due.add(heapq.heappop(self._timers)[1])
        rows = []
        for partition in due:
            end = cast(int, watermark) - self._window_ms  # every T < end is due
            if end <= self._swept.get(partition, -1):
                continue
            self._swept[partition] = end
            transactions = self._store(left, partition)
            for moment, transaction in transactions.get_interval(0, end, PENDING):
                if not self._around(right, moment, _prefix(transaction)):
                    rows.append(joined(transaction, None))
            transactions.delete_interval(0, end, PENDING)
        return rows


def _prefix(row: Row) -> bytes:
    """The state key of a row: its TransactionID (the Kafka keys are Avro, per subject)."""
    return str(row[KEY]).encode()
