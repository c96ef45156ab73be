"""`ccflink top` against the real stack: end offsets and rates from the broker, the endpoint
probe, service health. Its own topic, so the pipeline's topics stay for the pipeline tests."""

from __future__ import annotations

import io
import time

import pytest
from confluent_kafka import Producer

from emulator import stack
from emulator.catalog import Catalog
from emulator.cli.top import run_top
from emulator.config import Settings
from emulator.kafka.topics import create_topic, list_topics
from emulator.monitor import Sampler, Watched
from emulator.watching import demo_watched

pytestmark = pytest.mark.integration

TOPIC = "live_view_offsets"


def _produce(settings: Settings, count: int, start: int) -> None:
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    for i in range(start, start + count):
        producer.produce(TOPIC, value=f"record {i}".encode(), key=str(i).encode())
    assert producer.flush(10) == 0


def test_one_sample_counts_produced_records_and_their_rate(local_stack: Settings):
    create_topic(local_stack.bootstrap_servers, TOPIC, 3)
    deadline = time.monotonic() + 30
    while TOPIC not in list_topics(local_stack.bootstrap_servers):
        assert time.monotonic() < deadline, "topic did not appear"
        time.sleep(0.2)
    _produce(local_stack, 5, 0)

    watched = Watched(
        topics={TOPIC: "records", "scores": "predictions"},
        short_names={TOPIC: "live", "scores": "scores"},
        predictions_topic="scores",
        flag_column="late",
    )
    sampler = Sampler(local_stack, watched)
    try:
        first = sampler.sample()
        _produce(local_stack, 3, 5)
        time.sleep(0.5)
        second = sampler.sample()
    finally:
        sampler.close()

    assert first.problems == [] and second.problems == []
    assert first.topics[TOPIC].total == 5 and first.topics[TOPIC].rate is None
    assert second.topics[TOPIC].total == 8
    assert second.topics[TOPIC].rate == pytest.approx(3 / second.interval)
    assert second.latency.samples == 2 and second.latency.p95_ms is not None
    assert second.services_total == len(stack.SERVICE_NAMES) and second.services_down == []


def test_top_writes_one_line_per_interval_when_not_a_terminal(local_stack: Settings):
    out = io.StringIO()
    assert run_top(local_stack, demo_watched(), interval=0.5, duration=1.0, out=out) == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    # Other modules on this shared stack leave FAILED statements (refusal tests): each counts.
    failed = sum(
        1
        for r in Catalog.for_state(local_stack.state_dir).statements.values()
        if r.status == "FAILED"
    )
    assert all(f"errors {failed}" in line for line in lines), lines
