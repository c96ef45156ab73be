"""How far each topic goes, and how many records it holds.

End offsets (`EndOffsets`) say where a topic ends without reading it: where a reader starts to
see only what arrives from now on, and how many records a topic written without transactions
holds. A topic that statements write exactly-once holds fewer records than its end offsets:
every committed or aborted transaction leaves a marker taking an offset on each partition it
wrote, and aborted records keep theirs. `CommittedRecords` counts those topics by reading
them as a read-committed consumer does (values not decoded).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec


def _quiet_log() -> logging.Logger:
    """librdkafka's connection errors must not scroll a live screen."""
    quiet = logging.getLogger("ccflink.top.librdkafka")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    return quiet


class EndOffsets:
    """Total end offset per topic: one metadata request and one batched ListOffsets."""

    def __init__(
        self,
        bootstrap_servers: str,
        timeout: float = 2.0,
        security: Mapping[str, str] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.timeout = timeout
        self.security = dict(security or {})
        self.last_error: str | None = None
        self._admin = AdminClient(
            {
                "bootstrap.servers": bootstrap_servers,
                **self.security,
                "logger": _quiet_log(),
                "error_cb": self._on_error,
            }
        )

    def _on_error(self, error: Any) -> None:
        self.last_error = str(error)

    def totals(self, topics: Iterable[str]) -> dict[str, int | None]:
        """End offsets summed per topic (its records, if written without transactions); None
        for a topic that does not exist."""
        topics = list(topics)
        partitions = self.partitions(topics)
        return {t: sum(partitions[t].values()) if t in partitions else None for t in topics}

    def committed(self, topics: Iterable[str]) -> dict[str, int | None]:
        """Committed records per topic, read to the end: the count for a topic statements
        write (its end offsets also count transaction markers)."""
        return count_committed(self.bootstrap_servers, topics, security=self.security)

    def partitions(self, topics: Iterable[str]) -> dict[str, dict[int, int]]:
        """End offset per partition of each topic that exists (a missing topic is left out):
        where a reader starts to see only what arrives from now on."""
        topics = list(topics)
        metadata = self._admin.list_topics(timeout=self.timeout)  # raises when unreachable
        request = {}
        for topic in topics:
            info = metadata.topics.get(topic)
            if info is None or info.error is not None:
                continue
            for partition in info.partitions:
                request[TopicPartition(topic, partition)] = OffsetSpec.latest()
        offsets: dict[str, dict[int, int]] = {}
        if not request:
            return offsets
        futures = self._admin.list_offsets(request, request_timeout=self.timeout)
        for partition, future in futures.items():
            offset = future.result(timeout=self.timeout + 1).offset
            offsets.setdefault(partition.topic, {})[partition.partition] = max(0, offset)
        return offsets


class CommittedRecords:
    """Committed records per topic, counted by reading from the beginning and kept up to date
    call after call: each `update` reads what arrived since the last, within a time budget."""

    def __init__(self, bootstrap_servers: str, security: Mapping[str, str] | None = None) -> None:
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                **(security or {}),
                "group.id": f"ccflink-counter-{uuid.uuid4().hex[:8]}",  # assigned, never joined
                "enable.auto.commit": False,
                "isolation.level": "read_committed",
                "logger": _quiet_log(),
            }
        )
        self._assigned: set[tuple[str, int]] = set()
        self._counts: Counter[str] = Counter()

    def update(self, topics: Iterable[str], budget_seconds: float = 0.5) -> dict[str, int | None]:
        """Records per topic read so far; None for a topic that does not exist."""
        topics = list(topics)
        metadata = self._consumer.list_topics(timeout=2.0)  # raises when unreachable
        existing = {t for t in topics if t in metadata.topics and metadata.topics[t].error is None}
        new = [
            TopicPartition(topic, partition, OFFSET_BEGINNING)
            for topic in sorted(existing)
            for partition in metadata.topics[topic].partitions
            if (topic, partition) not in self._assigned
        ]
        if new:
            self._consumer.incremental_assign(new)
            self._assigned |= {(p.topic, p.partition) for p in new}
        deadline = time.monotonic() + budget_seconds
        while time.monotonic() < deadline:
            batch = self._consumer.consume(num_messages=10_000, timeout=0.05)
            if not batch:
                break
            self._counts.update(m.topic() for m in batch if m.error() is None)
        return {t: self._counts[t] if t in existing else None for t in topics}

    def close(self) -> None:
        self._consumer.close()


def count_committed(
    bootstrap_servers: str,
    topics: Iterable[str],
    quiet_seconds: float = 1.0,
    security: Mapping[str, str] | None = None,
) -> dict[str, int | None]:
    """Committed records per topic, read to the end (until nothing came for `quiet_seconds`)."""
    counter = CommittedRecords(bootstrap_servers, security)
    try:
        counts = counter.update(topics, budget_seconds=0.0)
        last_total, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < quiet_seconds:
            counts = counter.update(topics, budget_seconds=0.2)
            total = sum(c or 0 for c in counts.values())
            if total != last_total:
                last_total, quiet_since = total, time.monotonic()
        return counts
    finally:
        counter.close()
