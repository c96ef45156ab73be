"""Counting what exactly-once statements wrote: a topic written in transactions holds fewer
records than its end offsets (each commit or abort leaves a marker, aborted records keep
their offsets), and every count ccflink shows is of committed records."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Producer

from emulator.config import Settings
from emulator.kafka.offsets import CommittedRecords, EndOffsets
from emulator.kafka.topics import create_topic, list_topics

pytestmark = pytest.mark.integration

TOPIC = "committed_counts"


def write_in_transactions(settings: Settings) -> None:
    """3 records committed, 2 aborted, 1 committed: 4 a read-committed reader sees."""
    producer = Producer(
        {"bootstrap.servers": settings.bootstrap_servers, "transactional.id": "count-test"}
    )
    producer.init_transactions(30)
    for records, commit in ((3, True), (2, False), (1, True)):
        producer.begin_transaction()
        for number in range(records):
            producer.produce(TOPIC, value=f"{number}".encode(), partition=number % 2)
        producer.flush(30)
        if commit:
            producer.commit_transaction(30)
        else:
            producer.abort_transaction(30)


def test_committed_records_leave_out_markers_and_aborted_records(local_stack: Settings) -> None:
    create_topic(local_stack.bootstrap_servers, TOPIC, 2)
    while TOPIC not in list_topics(local_stack.bootstrap_servers):
        time.sleep(0.2)
    write_in_transactions(local_stack)
    offsets = EndOffsets(local_stack.bootstrap_servers)
    assert offsets.totals([TOPIC])[TOPIC] > 6  # 6 records and the markers after them
    assert offsets.committed([TOPIC, "no_such_topic"]) == {TOPIC: 4, "no_such_topic": None}
    counter = CommittedRecords(local_stack.bootstrap_servers)
    try:
        deadline = time.monotonic() + 30
        while counter.update([TOPIC])[TOPIC] != 4 and time.monotonic() < deadline:
            pass
        assert counter.update([TOPIC]) == {TOPIC: 4}
    finally:
        counter.close()
