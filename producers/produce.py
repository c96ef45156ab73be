"""Replay IEEE-CIS files into the `transactions` and `identities` topics, in parallel.

Each producer registers its own key and value schemas (as the cloud demo's Python producers do)
and sends Avro in Confluent's wire format, keyed by TransactionID, with acks from all replicas
and idempotence. Record timestamps are the wall clock at send time, as in the cloud demo.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kafka import KafkaProducer

from emulator.avro_schemas import FieldSpec, key_record_name, record_schema, value_record_name
from emulator.kafka.topics import list_topics
from emulator.schema_registry.client import SchemaRegistryClient
from producers.columns import (
    IDENTITY_HEADER,
    KEY_COLUMN,
    PIPELINE_IDENTITY_COLUMNS,
    PIPELINE_TRANSACTION_COLUMNS,
    TRANSACTION_HEADER,
    Column,
)
from producers.csv_source import DeadLetters, read_records
from producers.wire import AvroEncoder


@dataclass(frozen=True)
class TopicSource:
    topic: str
    csv_file: str
    header: list[str]
    columns: list[Column]


TRANSACTIONS = TopicSource(
    "transactions", "train_transaction.csv", TRANSACTION_HEADER, PIPELINE_TRANSACTION_COLUMNS
)
IDENTITIES = TopicSource(
    "identities", "train_identity.csv", IDENTITY_HEADER, PIPELINE_IDENTITY_COLUMNS
)


@dataclass
class TopicSummary:
    topic: str
    sent: int = 0
    failed: int = 0
    dead_lettered: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def schemas_for(source: TopicSource) -> tuple[dict, dict]:
    """Key record `<topic>_key` holding TransactionID; value record with the other columns."""
    key = [c for c in source.columns if c.name == KEY_COLUMN]
    value = [c for c in source.columns if c.name != KEY_COLUMN]

    def specs(columns: list[Column]) -> list[FieldSpec]:
        return [FieldSpec(c.name, c.sql_type, c.nullable) for c in columns]

    return (
        record_schema(key_record_name(source.topic), specs(key)),
        record_schema(value_record_name(source.topic), specs(value)),
    )


class MissingTopicError(RuntimeError):
    """Confluent Cloud does not create topics on first write; neither does the local broker."""


def produce_topic(
    bootstrap_servers: str,
    registry_url: str,
    data_dir: Path,
    source: TopicSource,
    summary: TopicSummary,
    dead_letter_dir: Path,
) -> None:
    registry = SchemaRegistryClient(registry_url)
    key_schema, value_schema = schemas_for(source)
    key_encoder = AvroEncoder(registry.register(f"{source.topic}-key", key_schema), key_schema)
    value_encoder = AvroEncoder(
        registry.register(f"{source.topic}-value", value_schema), value_schema
    )
    producer = KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        enable_idempotence=True,
        linger_ms=20,
        batch_size=256 * 1024,
        retries=5,
    )
    dead_letters = DeadLetters(dead_letter_dir / f"{source.topic}.dead-letter.tsv")

    def failed(error: Exception) -> None:
        summary.failed += 1
        if len(summary.errors) < 5:
            summary.errors.append(str(error))

    start = time.monotonic()
    try:
        records = read_records(
            data_dir / source.csv_file, source.header, source.columns, dead_letters
        )
        for record in records:
            key = key_encoder.encode({KEY_COLUMN: record.pop(KEY_COLUMN)})
            value = value_encoder.encode(record)
            producer.send(source.topic, key=key, value=value).add_errback(failed)
            summary.sent += 1
            summary.bytes += len(key) + len(value)
    finally:
        producer.flush()
        producer.close()
        summary.dead_lettered = dead_letters.count
        summary.seconds = time.monotonic() - start


def _report(summaries: list[TopicSummary], done: threading.Event) -> None:
    interactive = sys.stdout.isatty()
    last = {s.topic: 0 for s in summaries}
    while not done.wait(1.0 if interactive else 5.0):
        parts = []
        for s in summaries:
            parts.append(f"{s.topic} {s.sent:>9,} ({s.sent - last[s.topic]:,}/interval)")
            last[s.topic] = s.sent
        line = "  producing: " + " | ".join(parts)
        print(f"\r{line}" if interactive else line, end="" if interactive else "\n", flush=True)
    if interactive:
        print()


def produce_dataset(
    bootstrap_servers: str,
    registry_url: str,
    data_dir: Path,
    dead_letter_dir: Path,
    sources: tuple[TopicSource, ...] = (TRANSACTIONS, IDENTITIES),
    show_progress: bool = True,
) -> list[TopicSummary]:
    """Produce every source in its own thread; returns one summary per topic."""
    existing = list_topics(bootstrap_servers)
    missing = [s.topic for s in sources if s.topic not in existing]
    if missing:
        raise MissingTopicError(
            f"topics {missing} do not exist: create the tables first "
            "(ccflink sql pyflink_jobs/sql/01_source_tables.sql)"
        )
    summaries = [TopicSummary(s.topic) for s in sources]
    failures: list[BaseException] = []

    def run(source: TopicSource, summary: TopicSummary) -> None:
        try:
            produce_topic(
                bootstrap_servers, registry_url, data_dir, source, summary, dead_letter_dir
            )
        except BaseException as error:
            failures.append(error)

    threads = [
        threading.Thread(target=run, args=pair, name=f"produce-{pair[0].topic}")
        for pair in zip(sources, summaries, strict=True)
    ]
    done = threading.Event()
    reporter = threading.Thread(target=_report, args=(summaries, done), daemon=True)
    if show_progress:
        reporter.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    if show_progress:
        reporter.join()
    if failures:
        raise failures[0]
    return summaries
