"""The producers against a real broker and registry (no Flink): counts, dead letters, and
event-time timestamps, on a small synthetic set with malformed rows added."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition

from emulator.config import Settings
from emulator.kafka.topics import create_topic, list_topics
from producers.produce import produce_dataset
from producers.synthetic import generate
from tests.integration.conftest import kafka_and_registry as start_kafka_and_registry
from tests.integration.conftest import new_settings

pytestmark = pytest.mark.integration

ROWS = 400


@pytest.fixture(scope="module")
def kafka_and_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with start_kafka_and_registry(new_settings(tmp_path_factory, "producers-state")) as settings:
        yield settings


def _topics(settings: Settings, suffix: str) -> tuple[str, str]:
    names = (f"transactions{suffix}", f"identities{suffix}")
    for name in names:
        create_topic(settings.bootstrap_servers, name, 3)
    deadline = time.monotonic() + 30
    while set(names) - list_topics(settings.bootstrap_servers):
        assert time.monotonic() < deadline, "topics did not appear"
        time.sleep(0.2)
    return names


def _read_all(settings: Settings, topic: str) -> list:
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": f"t-{topic}"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p, 0) for p in metadata.partitions]
        ends = {p.partition: consumer.get_watermark_offsets(p)[1] for p in parts}
        consumer.assign(parts)
        messages = []
        deadline = time.monotonic() + 30
        while len(messages) < sum(ends.values()) and time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                messages.append(message)
        return messages
    finally:
        consumer.close()


def test_malformed_rows_are_dead_lettered_and_the_rest_produced(
    kafka_and_registry: Settings, tmp_path: Path
) -> None:
    from dataclasses import replace

    from producers.produce import IDENTITIES, TRANSACTIONS

    settings = kafka_and_registry
    files = generate(ROWS, tmp_path, seed=3)
    with files.transaction_path.open("a") as handle:
        handle.write("1,2,3\n")  # wrong field count: line ROWS + 2
        good = files.transaction_path.read_text().splitlines()[1].split(",")
        good[0], good[3] = "9999999", "not-a-number"
        handle.write(",".join(good) + "\n")  # line ROWS + 3
    tx_topic, id_topic = _topics(settings, "-dl")
    sources = (replace(TRANSACTIONS, topic=tx_topic), replace(IDENTITIES, topic=id_topic))
    dead_dir = tmp_path / "dead"
    before_ms = int(time.time() * 1000)
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        tmp_path,
        dead_dir,
        sources=sources,
        show_progress=False,
        timestamps="event",
    )
    tx, ident = summaries
    assert (tx.sent, tx.failed, tx.dead_lettered) == (ROWS, 0, 2)
    assert (ident.sent, ident.failed, ident.dead_lettered) == (files.identities, 0, 0)
    letters = (dead_dir / f"{tx_topic}.dead-letter.tsv").read_text().splitlines()[1:]
    reasons = {int(line.split("\t")[0]): line.split("\t")[1] for line in letters}
    assert set(reasons) == {ROWS + 2, ROWS + 3}
    assert "3 fields" in reasons[ROWS + 2]
    assert "TransactionAmt" in reasons[ROWS + 3]

    messages = _read_all(settings, tx_topic)
    assert len(messages) == ROWS
    stamps = sorted(m.timestamp()[1] for m in messages)
    assert before_ms - 5_000 <= stamps[-1] <= int(time.time() * 1000)
    identities = _read_all(settings, id_topic)
    assert len(identities) == files.identities
    tx_stamp = {m.key()[5:]: m.timestamp()[1] for m in messages}  # Avro body: the id
    assert all(tx_stamp[m.key()[5:]] == m.timestamp()[1] for m in identities)
