"""A test's rows written to a table's topic, as the table declares them (`records.py`).

Every row is fitted and serialized before the first is sent, so a row that does not fit leaves
the topic as it was. Records carry one timestamp, the call's (the table's `$rowtime`), which
also fills a `Timestamp` field, as the CLI's producer fills it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from confluent_kafka import KafkaError, Message, Producer

from common.errors import CcflinkError
from common.registry import registry_client
from emulator.config import Settings
from emulator.testing.records import Encoded, declared_table, encode_rows
from emulator.testing.rows import RowsInput, rows_of
from producers.produce import producer_config

FLUSH_TIMEOUT_S = 30.0


class DeliveryError(CcflinkError):
    """The broker did not take every record; the message says how many and the first reason."""


def write_rows(
    settings: Settings,
    table: str,
    data: RowsInput,
    *,
    at: datetime | None,
    timestamp_field: str | None,
) -> int:
    """Write `data` to `table`'s topic with timestamp `at` (None: now); the records sent."""
    rows = rows_of(data)
    registry = registry_client(settings.schema_registry_url, auth=settings.registry_auth)
    declared = declared_table(registry, table, rows, timestamp_field)
    timestamp_ms = round((at or datetime.now(UTC)).timestamp() * 1000)
    records = encode_rows(registry, declared, rows, timestamp_ms)
    send(settings, table, records, timestamp_ms)
    return len(records)


def send(settings: Settings, topic: str, records: list[Encoded], timestamp_ms: int) -> None:
    """Send and wait for every acknowledgement (acks=all, idempotent, Java's partitioner)."""
    producer = Producer({**producer_config(settings.bootstrap_servers), **settings.kafka_security})
    failures: list[KafkaError] = []

    def delivered(error: KafkaError | None, _message: Message) -> None:
        if error is not None:
            failures.append(error)

    for record in records:
        producer.produce(
            topic, value=record.value, key=record.key, timestamp=timestamp_ms, on_delivery=delivered
        )
        producer.poll(0)
    unsent = producer.flush(FLUSH_TIMEOUT_S)
    if failures or unsent:
        reason = failures[0].str() if failures else f"not acknowledged in {FLUSH_TIMEOUT_S:.0f} s"
        raise DeliveryError(
            f"topic {topic}: {len(failures) + unsent} of {len(records)} records not delivered "
            f"({reason})"
        )
