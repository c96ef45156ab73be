"""`stack.up`: independent services start side by side, the registry after Kafka, and a failed
start stops everything (the services themselves are replaced by recorders here; the real
ones are started by the integration suite's fixture)."""

from __future__ import annotations

import threading

import pytest

from emulator import config, model_endpoint, stack, supervisor
from emulator.config import Settings
from emulator.flink import cluster
from emulator.kafka import broker
from emulator.process import ServiceError
from emulator.schema_registry import service as schema_registry


@pytest.fixture
def settings(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    return config.settings_from_env()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Services in the order their start returned; Kafka's start waits for the other chains."""
    order: list[str] = []
    others_began = threading.Barrier(3, timeout=5)

    def kafka(_settings: Settings) -> None:
        others_began.wait()  # breaks (and fails the test) if Flink and the model server wait
        order.append("kafka")

    def starting(name: str, wait_for_others: bool = False):
        def start(_settings: Settings, *_say) -> None:
            if wait_for_others:
                others_began.wait()
            order.append(name)

        return start

    monkeypatch.setattr(broker, "start", kafka)
    monkeypatch.setattr(schema_registry, "start", starting("schema-registry"))
    monkeypatch.setattr(cluster, "start", starting("flink", wait_for_others=True))
    monkeypatch.setattr(model_endpoint, "start", starting("model-server", wait_for_others=True))
    monkeypatch.setattr(supervisor, "start", starting("supervisor"))
    return order


def test_kafka_flink_and_model_server_start_at_once_and_registry_after_kafka(
    settings: Settings, started: list[str]
) -> None:
    lines: list[str] = []
    stack.up(settings, lines.append)
    assert sorted(started) == ["flink", "kafka", "model-server", "schema-registry", "supervisor"]
    assert started.index("schema-registry") > started.index("kafka")
    assert started[-1] == "supervisor"  # it replaces a lost TaskManager: one must be there
    assert sum(line.startswith("    ready in ") for line in lines) == 4


def test_a_failed_start_stops_the_others_and_raises_its_error(
    settings: Settings, started: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_settings: Settings, *_say) -> None:
        raise ServiceError("model-server exited while starting")

    stopped: list[Settings] = []
    monkeypatch.setattr(model_endpoint, "start", broken)
    monkeypatch.setattr(cluster, "start", lambda _settings: started.append("flink"))
    monkeypatch.setattr(broker, "start", lambda _settings: started.append("kafka"))
    monkeypatch.setattr(stack, "down", stopped.append)
    with pytest.raises(ServiceError, match="model-server exited"):
        stack.up(settings, lambda line: None)
    assert stopped == [settings]
    assert sorted(started) == ["flink", "kafka", "schema-registry"]
