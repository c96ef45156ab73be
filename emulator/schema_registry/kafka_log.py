"""The registry's durable log: a compacted Kafka topic, as Confluent's registry uses `_schemas`."""

from __future__ import annotations

import json
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

SCHEMAS_TOPIC = "_schemas"


def _encode(data: dict[str, Any] | None) -> bytes | None:
    return None if data is None else json.dumps(data, separators=(",", ":")).encode()


class KafkaSchemaLog:
    """Appends synchronously (the REST call answers only once the change is durable)."""

    def __init__(self, bootstrap_servers: str, topic: str = SCHEMAS_TOPIC) -> None:
        self._bootstrap = bootstrap_servers
        self._topic = topic
        self._ensure_topic()
        self._producer = KafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")

    def _ensure_topic(self) -> None:
        admin = KafkaAdminClient(bootstrap_servers=self._bootstrap)
        try:
            admin.create_topics(
                [
                    NewTopic(
                        self._topic,
                        num_partitions=1,
                        replication_factor=1,
                        topic_configs={"cleanup.policy": "compact"},
                    )
                ]
            )
        except TopicAlreadyExistsError:
            pass
        finally:
            admin.close()

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        self._producer.send(self._topic, key=_encode(key), value=_encode(value)).get(timeout=30)

    def replay(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        consumer = KafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False)
        try:
            partition = TopicPartition(self._topic, 0)
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            end = consumer.end_offsets([partition])[partition]
            records: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
            while consumer.position(partition) < end:
                for batch in consumer.poll(timeout_ms=1000).values():
                    for record in batch:
                        value = None if record.value is None else json.loads(record.value)
                        records.append((json.loads(record.key), value))
            return records
        finally:
            consumer.close()
