"""The whole stack, started once per test session on free ports in a temporary state folder."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from emulator import stack
from emulator.config import PROJECT_ROOT, Settings
from emulator.demo.model import ensure_model
from emulator.flink.rest import FlinkRest
from emulator.kafka import broker
from emulator.ports import free_ports
from emulator.process import ManagedProcess
from emulator.schema_registry import service as schema_registry
from emulator.topic_reader import AvroTopicReader, Record
from tests.integration import container_stack

pytestmark = pytest.mark.integration


def new_settings(tmp_path_factory: pytest.TempPathFactory, name: str) -> Settings:
    """A stack's settings: free ports, a temporary state folder, the project's jar cache."""
    jars = Path(os.environ.get("CCFLINK_JARS_DIR", PROJECT_ROOT / ".ccflink" / "jars"))
    return Settings(
        state_dir=tmp_path_factory.mktemp(name), jars_dir=jars.resolve(), ports=free_ports()
    )


@contextmanager
def kafka_and_registry(settings: Settings, **registry_options) -> Iterator[Settings]:
    """Only the broker and the Schema Registry, for tests that need no Flink."""
    try:
        broker.start(settings)
        schema_registry.start(settings, **registry_options)
        yield settings
    finally:
        ManagedProcess(schema_registry.NAME, settings).stop()
        ManagedProcess(broker.NAME, settings).stop()


_RUNNING_STACKS: list[Settings] = []


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The stack the tests run against: local processes, or containers (CCFLINK_BACKEND)."""
    settings = new_settings(tmp_path_factory, "ccflink-state")
    if container_stack.wanted():
        problem = container_stack.docker_engine_problem()
        if problem is not None:
            pytest.skip(problem)
        settings = container_stack.container_settings(settings.state_dir, settings.jars_dir)
        _RUNNING_STACKS.append(settings)
        with container_stack.container_stack(settings):
            yield settings
        return
    _RUNNING_STACKS.append(settings)
    try:
        stack.up(settings, say=lambda message: None, prepare_model=ensure_model)
        yield settings
    finally:
        stack.down(settings)


def read_until(settings: Settings, topic: str, done, timeout: float = 240.0) -> list[Record]:
    """Everything on `topic` once `done(records)` holds; fails the test after `timeout`."""
    reader = AvroTopicReader(settings.bootstrap_servers, settings.schema_registry_url, topic)
    records: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while not done(records):
            if time.monotonic() > deadline:
                pytest.fail(
                    f"topic {topic}: condition not met after {timeout:.0f} s "
                    f"({len(records)} records read)"
                )
            records.extend(reader.poll(timeout_ms=1000))
        records.extend(reader.poll(timeout_ms=2000))  # a duplicate would show up here
    finally:
        reader.close()
    return records


@pytest.fixture(scope="module", autouse=True)
def stop_jobs_after_module() -> Iterator[None]:
    """Each test module's continuous statements end with it, so task slots stay free."""
    yield
    cancel_running_jobs()


def cancel_running_jobs() -> None:
    """Cancel every running job of the test stacks, freeing their task slots."""
    for settings in _RUNNING_STACKS:
        rest = FlinkRest(settings.flink_rest_url)
        try:
            jobs = requests.get(f"{settings.flink_rest_url}/jobs", timeout=10).json()["jobs"]
        except requests.RequestException:
            continue
        for job in jobs:
            if job["status"] == "RUNNING":
                rest.cancel(job["id"])
