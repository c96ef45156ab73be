"""How many records each topic holds (its end offsets summed over partitions), without
reading them: what the live view counts, and what the demo's summary compares."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from confluent_kafka import TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec


class EndOffsets:
    """Total end offset per topic: one metadata request and one batched ListOffsets."""

    def __init__(self, bootstrap_servers: str, timeout: float = 2.0) -> None:
        self.timeout = timeout
        self.last_error: str | None = None
        quiet = logging.getLogger("ccflink.top.librdkafka")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        self._admin = AdminClient(
            {
                "bootstrap.servers": bootstrap_servers,
                "logger": quiet,  # librdkafka's connection errors must not scroll the screen
                "error_cb": self._on_error,
            }
        )

    def _on_error(self, error: Any) -> None:
        self.last_error = str(error)

    def totals(self, topics: Iterable[str]) -> dict[str, int | None]:
        """Records per topic (end offsets summed); None for a topic that does not exist."""
        topics = list(topics)
        partitions = self.partitions(topics)
        return {t: sum(partitions[t].values()) if t in partitions else None for t in topics}

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
