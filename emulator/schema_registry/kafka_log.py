"""The registry's durable log: a compacted Kafka topic, as Confluent's registry uses `_schemas`."""

from __future__ import annotations

import json
import uuid
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)

from emulator.kafka.consume import arrived
from emulator.kafka.topics import create_topic

SCHEMAS_TOPIC = "_schemas"
APPEND_TIMEOUT_S = 30.0

Entry = tuple[dict[str, Any], dict[str, Any] | None]


def _encode(data: dict[str, Any] | None) -> bytes | None:
    return None if data is None else json.dumps(data, separators=(",", ":")).encode()


def _decode(data: bytes | None) -> dict[str, Any] | None:
    return None if data is None else json.loads(data)


class KafkaSchemaLog:
    """Appends synchronously (the REST call answers only once the change is durable)."""

    def __init__(self, bootstrap_servers: str, topic: str = SCHEMAS_TOPIC) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        create_topic(bootstrap_servers, topic, 1, {"cleanup.policy": "compact"})
        self._producer = Producer(
            {"bootstrap.servers": bootstrap_servers, "acks": "all", "linger.ms": 0}
        )

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        outcome: list[KafkaError | None] = []
        self._producer.produce(
            self._topic,
            key=_encode(key),
            value=_encode(value),
            on_delivery=lambda error, _message: outcome.append(error),
        )
        self._producer.flush(APPEND_TIMEOUT_S)
        if not outcome:
            raise TimeoutError(
                f"{self._topic}: the broker did not acknowledge the write "
                f"within {APPEND_TIMEOUT_S:.0f} s"
            )
        if outcome[0] is not None:
            raise KafkaException(outcome[0])

    def replay(self) -> list[Entry]:
        """Every record, from the beginning until the consumer has caught up with the end.

        The end is librdkafka's end-of-partition event: it comes once the partition has a
        leader and the fetches reached its end, also for a topic created a moment ago.
        """
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": f"ccflink-schema-registry-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        try:
            consumer.assign([TopicPartition(self._topic, 0, OFFSET_BEGINNING)])
            records: list[Entry] = []
            while True:
                for record in arrived(consumer, timeout=1.0):
                    if record.error() is not None:  # the end of the partition
                        return records
                    records.append((json.loads(record.key()), _decode(record.value())))
        finally:
            consumer.close()
