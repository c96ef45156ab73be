"""The producers against a real broker and registry (no Flink): counts, dead letters,
event-time timestamps and the value's `Timestamp` field, on a small synthetic set with malformed
rows added; and Ctrl-C on `ccflink produce`, which must lose nothing it accepted."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import requests
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from common.avro.decoder import AvroDecoder
from emulator import config
from emulator.config import PROJECT_ROOT, Settings
from emulator.kafka.topics import create_topic, list_topics
from producers.csv_source import read_int_columns
from producers.produce import IDENTITIES, TRANSACTIONS, produce_dataset, schemas_for
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


def _end_offsets(settings: Settings, topic: str) -> int:
    """How many records the topic holds (it started empty; the producer is not transactional)."""
    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": f"o-{topic}"})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        parts = [TopicPartition(topic, p) for p in metadata.partitions]
        return sum(consumer.get_watermark_offsets(p, timeout=10)[1] for p in parts)
    finally:
        consumer.close()


def _values(settings: Settings, messages: list) -> list[dict]:
    """The messages' values, decoded with their writer schemas from the registry."""
    decode = AvroDecoder.of_registry(SchemaRegistryClient({"url": settings.schema_registry_url}))
    return [decode(m.value()) for m in messages]


def _assert_timestamp_field_is_the_record_timestamp(settings: Settings, messages: list) -> None:
    epoch = datetime(1970, 1, 1)  # local-timestamp-millis in UTC: a naive date-time
    for message, value in zip(messages, _values(settings, messages), strict=True):
        assert list(value)[-1] == "Timestamp"
        millis = round((value["Timestamp"] - epoch).total_seconds() * 1000)
        assert millis == message.timestamp()[1], value


def _subject_versions(settings: Settings, subject: str) -> list[int]:
    url = f"{settings.schema_registry_url}/subjects/{subject}/versions"
    return requests.get(url, timeout=10).json()


def test_malformed_rows_are_dead_lettered_and_the_rest_produced(
    kafka_and_registry: Settings, tmp_path: Path
) -> None:
    settings = kafka_and_registry
    files = generate(ROWS, tmp_path, seed=3)
    with files.transaction_path.open("a") as handle:
        handle.write("1,2,3\n")  # wrong field count: line ROWS + 2
        good = files.transaction_path.read_text().splitlines()[1].split(",")
        good[0], good[3] = "9999999", "not-a-number"
        handle.write(",".join(good) + "\n")  # line ROWS + 3
    tx_topic, id_topic = _topics(settings, "-dl")
    sources = (replace(TRANSACTIONS, topic=tx_topic), replace(IDENTITIES, topic=id_topic))
    # As a table declaring `Timestamp TIMESTAMP(3)` registers its value schema (the cloud
    # demo's tables): the producers write it as declared, filling Timestamp, adding no version.
    for source in sources:
        _, table_schema = schemas_for(source)
        SchemaRegistryClient({"url": settings.schema_registry_url}).register_schema(
            f"{source.topic}-value", Schema(json.dumps(table_schema), "AVRO")
        )
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
    _assert_timestamp_field_is_the_record_timestamp(settings, messages)
    _assert_timestamp_field_is_the_record_timestamp(settings, identities)
    for topic in (tx_topic, id_topic):
        assert _subject_versions(settings, f"{topic}-value") == [1]


def test_ctrl_c_stops_the_cli_and_loses_nothing_it_accepted(
    kafka_and_registry: Settings, tmp_path: Path
) -> None:
    """SIGINT to `ccflink produce` mid-replay: exit 130, a summary line per topic, and each
    topic holds exactly the records its line says were sent."""
    settings = kafka_and_registry
    rows = 3_000
    data = tmp_path / "data"
    generate(rows, data, seed=5)
    tx_topic, id_topic = _topics(settings, "")  # the CLI's topics: transactions, identities
    config.save(settings)
    dts = read_int_columns(data / "train_transaction.csv", ["TransactionDT"])["TransactionDT"]
    speedup = float(np.ptp(dts)) / 60  # the whole replay would take a minute
    env = {
        **os.environ,
        "CCFLINK_HOME": str(settings.state_dir),
        "CCFLINK_KAFKA_PORT": str(settings.ports.kafka),
        "CCFLINK_SCHEMA_REGISTRY_PORT": str(settings.ports.schema_registry),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "emulator.cli", "produce", "--data", str(data)]
    process = subprocess.Popen(
        [*command, "--speedup", str(speedup)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Ctrl-C as in a terminal, even when the suite runs with SIGINT ignored (a background
        # job of a non-interactive shell passes that on, and Python then never raises it).
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        started = time.monotonic()
        while time.monotonic() - started < 2 or _end_offsets(settings, tx_topic) == 0:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() - started < 60, "nothing produced within a minute"
            time.sleep(0.2)
        assert process.poll() is None, "the replay ended before Ctrl-C"
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, output
    lines = dict(re.findall(r"^(\S+): ([\d,]+) sent, 0 failed, .*$", output, re.MULTILINE))
    assert set(lines) == {tx_topic, id_topic}, output
    sent = {topic: int(count.replace(",", "")) for topic, count in lines.items()}
    assert 0 < sent[tx_topic] < rows, output
    assert "(interrupted)" in output
    for topic in (tx_topic, id_topic):
        assert _end_offsets(settings, topic) == sent[topic], (topic, output)
    messages = _read_all(settings, tx_topic)
    assert len(messages) == sent[tx_topic]
    _assert_timestamp_field_is_the_record_timestamp(settings, messages)  # wall clock, paced
