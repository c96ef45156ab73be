"""Read an Avro topic (Confluent wire format) with schemas fetched from the registry by id."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition

from common.avro.decoder import AvroDecoder
from emulator.schema_registry.client import registry_client


@dataclass(frozen=True)
class Record:
    key: dict[str, Any] | None
    value: dict[str, Any]
    timestamp_ms: int
    partition: int
    offset: int


class AvroTopicReader:
    """Reads a topic from the beginning; `poll` returns what arrived since the last call."""

    def __init__(self, bootstrap_servers: str, registry_url: str, topic: str) -> None:
        self._decode_avro = AvroDecoder.of_registry(registry_client(registry_url))
        self._consumer = KafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False
        )
        partitions = self._consumer.partitions_for_topic(topic) or set()
        if not partitions:
            raise LookupError(f"topic {topic!r} does not exist")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        self._consumer.seek_to_beginning(*assigned)

    def _decode(self, message: bytes | None) -> dict[str, Any] | None:
        return None if message is None else self._decode_avro(message)

    def poll(self, timeout_ms: int = 1000) -> list[Record]:
        records = []
        for batch in self._consumer.poll(timeout_ms=timeout_ms, max_records=10_000).values():
            for message in batch:
                records.append(
                    Record(
                        key=self._decode(message.key),
                        value=self._decode(message.value) or {},
                        timestamp_ms=message.timestamp,
                        partition=message.partition,
                        offset=message.offset,
                    )
                )
        return records

    def __iter__(self) -> Iterator[Record]:
        while True:
            yield from self.poll()

    def close(self) -> None:
        self._consumer.close()
