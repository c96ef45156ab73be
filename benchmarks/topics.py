"""Reading the benchmark stack's topics with librdkafka: end offsets, and records after a run.

Figures come from the broker's record timestamps (a producer's send time), not from when this
process reads a record, so reading after the run costs the measured pipeline no CPU and a slow
reader cannot stretch a figure.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from emulator.config import Settings

Offsets = dict[int, int]  # partition -> offset


@dataclass(frozen=True)
class Record:
    key: bytes | None
    value: bytes | None
    timestamp_ms: int


class Topic:
    def __init__(self, settings: Settings, name: str) -> None:
        self.name = name
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": f"ccflink-bench-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "isolation.level": "read_committed",  # what a user of the results sees
            }
        )
        metadata = self._consumer.list_topics(name, timeout=15).topics[name]
        if metadata.error is not None:
            raise LookupError(f"topic {name!r}: {metadata.error}")
        self.partitions = sorted(metadata.partitions)

    def end_offsets(self) -> Offsets:
        """Each partition's next offset: what was written so far."""
        return {
            p: self._consumer.get_watermark_offsets(TopicPartition(self.name, p), timeout=10)[1]
            for p in self.partitions
        }

    def count_since(self, start: Offsets | None = None) -> int:
        start = start or {}
        return sum(end - start.get(p, 0) for p, end in self.end_offsets().items())

    def _consume(self, start: Offsets | None, limit: int | None) -> Iterator[Message]:
        """Messages from `start` (default: the beginning) up to the current end, or `limit`."""
        start = start or {}
        ends = self.end_offsets()
        pending = {p for p in self.partitions if ends[p] > start.get(p, 0)}
        self._consumer.assign(
            [TopicPartition(self.name, p, start.get(p, OFFSET_BEGINNING)) for p in pending]
        )
        count, quiet_since = 0, time.monotonic()
        while pending and (limit is None or count < limit):
            batch = self._consumer.consume(num_messages=10_000, timeout=1.0)
            if batch:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 15:
                break  # offsets with no record behind them (transaction markers) end here
            for message in batch:
                if message.error() is not None:
                    continue  # partition EOF and the like: the end offsets decide when to stop
                if message.offset() + 1 >= ends[message.partition()]:
                    pending.discard(message.partition())
                if limit is None or count < limit:
                    count += 1
                    yield message
        self._consumer.unassign()

    def records(self, start: Offsets | None = None, limit: int | None = None) -> Iterator[Record]:
        """One at a time: a whole intermediate topic without holding all its values."""
        for message in self._consume(start, limit):
            yield Record(message.key(), message.value(), message.timestamp()[1])

    def read(self, start: Offsets | None = None, limit: int | None = None) -> list[Record]:
        return list(self.records(start, limit))

    def close(self) -> None:
        self._consumer.close()


def wait_for_records(
    topic: Topic,
    expected: int,
    start: Offsets | None = None,
    idle_seconds: float = 20.0,
    startup_seconds: float = 300.0,
    on_change: Callable[[int], None] | None = None,
) -> int:
    """Wait until `expected` records are in `topic` after `start`, or none came for a while.

    Returns how many there are. Before the first one, waits `startup_seconds` (jobs start
    their Python workers first); after it, `idle_seconds` without a new one. `on_change`
    gets each new count as soon as it is seen.
    """
    count, last_change = 0, time.monotonic()
    while count < expected:
        now = time.monotonic()
        if now - last_change > (idle_seconds if count else startup_seconds):
            break
        time.sleep(0.5)
        current = topic.count_since(start)
        if current != count:
            count, last_change = current, time.monotonic()
            if on_change is not None:
                on_change(count)
    return count
