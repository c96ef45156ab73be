"""The registry's durable log: a compacted Kafka topic, as Confluent's registry uses `_schemas`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
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
from emulator.schema_registry.store import SchemaLogError, SchemaLogTimeout

SCHEMAS_TOPIC = "_schemas"
APPEND_TIMEOUT_S = 30.0
# librdkafka reports every record within message.timeout.ms; this is left for the report.
_REPORT_GRACE_S = 5.0
_TIMEOUT_CODES = {KafkaError._MSG_TIMED_OUT, KafkaError._TIMED_OUT, KafkaError.REQUEST_TIMED_OUT}

Entry = tuple[dict[str, Any], dict[str, Any] | None]


def _encode(data: dict[str, Any] | None) -> bytes | None:
    return None if data is None else json.dumps(data, separators=(",", ":")).encode()


def _decode(data: bytes | None) -> dict[str, Any] | None:
    return None if data is None else json.loads(data)


def _reason(error: Exception) -> str:
    if isinstance(error, KafkaException) and isinstance(error.args[0], KafkaError):
        return error.args[0].str()
    return str(error) or type(error).__name__


class KafkaSchemaLog:
    """Appends synchronously (the REST call answers only once the change is durable).

    A failed append is a SchemaLogError, a SchemaLogTimeout when the broker did not acknowledge
    it within `append_timeout_s`: librdkafka then gives the record up rather than sending it
    after the client was told the change failed.
    """

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str = SCHEMAS_TOPIC,
        append_timeout_s: float = APPEND_TIMEOUT_S,
        security: Mapping[str, str] | None = None,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self._security = dict(security or {})  # librdkafka's security.*/sasl.* (--secure)
        self._topic = topic
        self._timeout_s = append_timeout_s
        self._producer = Producer(
            {
                "bootstrap.servers": bootstrap_servers,
                **self._security,
                "acks": "all",
                "linger.ms": 0,
                "message.timeout.ms": int(append_timeout_s * 1000),
            }
        )

    def ensure_topic(self) -> None:
        """The compacted topic, if it is not there yet (as Confluent's registry makes it)."""
        create_topic(
            self._bootstrap,
            self._topic,
            1,
            {"cleanup.policy": "compact"},
            security=self._security,
        )

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        outcome: list[KafkaError | None] = []
        try:
            self._producer.produce(
                self._topic,
                key=_encode(key),
                value=_encode(value),
                on_delivery=lambda error, _message: outcome.append(error),
            )
        except (KafkaException, BufferError) as error:  # refused at once: too large, queue full
            raise SchemaLogError(f"{self._topic}: {_reason(error)}") from error
        self._producer.flush(self._timeout_s + _REPORT_GRACE_S)
        if not outcome or (outcome[0] is not None and outcome[0].code() in _TIMEOUT_CODES):
            raise SchemaLogTimeout(
                f"{self._topic}: the broker did not acknowledge the write "
                f"within {self._timeout_s:g} s"
            )
        if outcome[0] is not None:
            raise SchemaLogError(f"{self._topic}: {outcome[0].str()}")

    def replay(self) -> list[Entry]:
        """Every record, from the beginning until the consumer has caught up with the end.

        The end is librdkafka's end-of-partition event: it comes once the partition has a
        leader and the fetches reached its end, also for a topic created a moment ago.
        """
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                **self._security,
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
