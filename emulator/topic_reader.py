"""Read an Avro topic (Confluent wire format) with schemas fetched from the registry by id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

from common.avro.decoder import AvroDecoder
from common.errors import CcflinkError
from common.registry import registry_client
from emulator.config import Settings
from emulator.kafka.consume import arrived
from emulator.kafka.topics import TIMEOUT_S

# librdkafka's log, through Python's logging so a live view can keep it off its screen.
LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Record:
    key: dict[str, Any] | None
    value: dict[str, Any]
    timestamp_ms: int
    partition: int
    offset: int


class TopicNotFound(CcflinkError):
    """The topic to read does not exist on the cluster."""


class AvroTopicReader:
    """Reads a topic from the beginning, committed records only; `poll` returns what arrived
    since the last call.

    `security` (librdkafka's security.*/sasl.*) and `registry_auth` log in where keys are
    needed (a profile, `up --secure`; `of` takes them from the settings). `start_offsets`
    (partition -> offset) starts there instead, to read only what arrived after
    they were taken (`EndOffsets.partitions`); a partition not in it starts at its beginning,
    since it held nothing then.
    """

    @classmethod
    def of(
        cls, settings: Settings, topic: str, *, start_offsets: Mapping[int, int] | None = None
    ) -> AvroTopicReader:
        """A reader of `topic` on the cluster `settings` name, logged in as they say."""
        return cls(
            settings.bootstrap_servers,
            settings.schema_registry_url,
            topic,
            start_offsets=start_offsets,
            security=settings.kafka_security,
            registry_auth=settings.registry_auth,
        )

    def __init__(
        self,
        bootstrap_servers: str,
        registry_url: str,
        topic: str,
        *,
        start_offsets: Mapping[int, int] | None = None,
        security: Mapping[str, str] | None = None,
        registry_auth: tuple[str, str] | None = None,
    ) -> None:
        self._decode_avro = AvroDecoder.of_registry(
            registry_client(registry_url, auth=registry_auth)
        )
        self._consumer = Consumer(
            {
                "bootstrap.servers": bootstrap_servers,
                **(security or {}),
                "group.id": f"ccflink-reader-{uuid.uuid4().hex[:8]}",  # assigned, never joined
                "enable.auto.commit": False,
                # Only what committed transactions wrote, as Flink reads: statements write
                # exactly-once, and an aborted attempt's rows are not results.
                "isolation.level": "read_committed",
                # A start offset past the end (the topic made again since): from its beginning.
                "auto.offset.reset": "earliest",
                "logger": LOG,
            }
        )
        metadata = self._consumer.list_topics(topic, timeout=TIMEOUT_S).topics.get(topic)
        if metadata is None or metadata.error is not None or not metadata.partitions:
            self._consumer.close()
            raise TopicNotFound(f"topic {topic!r} does not exist")
        starts = start_offsets or {}
        self._consumer.assign(
            [
                TopicPartition(topic, p, starts.get(p, OFFSET_BEGINNING))
                for p in sorted(metadata.partitions)
            ]
        )

    def _decode(self, message: bytes | None) -> dict[str, Any] | None:
        return None if message is None else self._decode_avro(message)

    def poll(self, timeout_ms: int = 1000) -> list[Record]:
        return [
            Record(
                key=self._decode(message.key()),
                value=self._decode(message.value()) or {},
                timestamp_ms=message.timestamp()[1],
                partition=message.partition(),
                offset=message.offset(),
            )
            for message in arrived(self._consumer, timeout_ms / 1000)
        ]

    def __iter__(self) -> Iterator[Record]:
        while True:
            yield from self.poll()

    def close(self) -> None:
        self._consumer.close()
