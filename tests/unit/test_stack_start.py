"""`stack.up`: independent services start side by side, the registry after Kafka, a port
another program holds is refused before anything starts, and a failed start stops what this
`up` started, not what ran before it (the services themselves are replaced by recorders
here; the real ones are started by the integration suite's fixture)."""

from __future__ import annotations

import dataclasses
import os
import socket
import threading

import pytest

from emulator import config, model_endpoint, stack, supervisor, workspace_service
from emulator.config import Settings
from emulator.flink import cluster
from emulator.kafka import broker
from emulator.ports import PortInUseError, free_ports
from emulator.process import ManagedProcess, ServiceError
from emulator.schema_registry import service as schema_registry


@pytest.fixture
def settings(tmp_path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """This test's stack, on free ports (the check before a start looks at them)."""
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    return dataclasses.replace(config.settings_from_env(), ports=free_ports())


@pytest.fixture
def stopped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Services `stop` was called on, in order (a dead one's is a no-op before its start)."""
    names: list[str] = []

    def stop(process: ManagedProcess, timeout: float = 20.0) -> bool:
        names.append(process.name)
        return True

    monkeypatch.setattr(ManagedProcess, "stop", stop)
    return names


def running_before(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Services that were healthy before `up` began."""
    monkeypatch.setattr(ManagedProcess, "is_running", lambda process: process.name in names)


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
    monkeypatch.setattr(workspace_service, "start", starting("workspace"))
    monkeypatch.setattr(supervisor, "start", starting("supervisor"))
    return order


def test_kafka_flink_and_model_server_start_at_once_and_registry_after_kafka(
    settings: Settings, started: list[str]
) -> None:
    lines: list[str] = []
    stack.up(settings, lines.append)
    assert sorted(started) == [
        "flink",
        "kafka",
        "model-server",
        "schema-registry",
        "supervisor",
        "workspace",
    ]
    assert started.index("schema-registry") > started.index("kafka")
    assert started[-2] == "workspace"  # its statements need every other service
    assert started[-1] == "supervisor"  # it replaces a lost TaskManager: one must be there
    assert sum(line.startswith("    ready in ") for line in lines) == 5


def test_a_failed_workspace_start_stops_what_this_up_started(
    settings: Settings,
    started: list[str],
    stopped: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(_settings: Settings) -> None:
        raise ServiceError("workspace exited while starting")

    monkeypatch.setattr(workspace_service, "start", broken)
    with pytest.raises(ServiceError, match="workspace exited"):
        stack.up(settings, lambda line: None)
    assert "supervisor" not in started
    assert stopped[-6:] == list(reversed(stack.SERVICE_NAMES[:-1]))


def broken_model_server(_settings: Settings, *_say: object) -> None:
    raise ServiceError("model-server exited while starting")


def test_a_failed_start_stops_what_it_started_and_raises_its_error(
    settings: Settings,
    started: list[str],
    stopped: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(model_endpoint, "start", broken_model_server)
    monkeypatch.setattr(cluster, "start", lambda _settings: started.append("flink"))
    monkeypatch.setattr(broker, "start", lambda _settings: started.append("kafka"))
    with pytest.raises(ServiceError, match="model-server exited"):
        stack.up(settings, lambda line: None)
    assert sorted(started) == ["flink", "kafka", "schema-registry"]
    assert set(stopped) == set(stack.SERVICE_NAMES)
    assert config.load_saved(settings.state_dir) is None  # nothing runs: nothing to find


def test_a_failed_start_leaves_running_what_was_healthy_before_it(
    settings: Settings,
    started: list[str],
    stopped: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running_before(monkeypatch, broker.NAME, schema_registry.NAME)
    monkeypatch.setattr(model_endpoint, "start", broken_model_server)
    monkeypatch.setattr(cluster, "start", lambda _settings: started.append("flink"))
    monkeypatch.setattr(broker, "start", lambda _settings: started.append("kafka"))
    with pytest.raises(ServiceError, match="model-server exited"):
        stack.up(settings, lambda line: None)
    assert broker.NAME not in stopped and schema_registry.NAME not in stopped
    assert {cluster.JOBMANAGER, cluster.TASKMANAGER, model_endpoint.NAME} <= set(stopped)
    assert config.load_saved(settings.state_dir) == settings  # the running part is still found


def test_a_port_another_program_holds_is_refused_before_anything_starts(
    settings: Settings, started: list[str]
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((settings.host, settings.ports.model_server))
        busy.listen()
        with pytest.raises(PortInUseError) as refused:
            stack.up(settings, lambda line: None)
    message = str(refused.value)
    assert f"port {settings.ports.model_server} on {settings.host}" in message
    assert f"pid {os.getpid()} " in message and "CCFLINK_MODEL_SERVER_PORT=<port>" in message
    assert started == []
    assert config.load_saved(settings.state_dir) is None


def test_the_ports_of_services_already_running_are_not_checked(
    settings: Settings, started: list[str], stopped: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    running_before(monkeypatch, model_endpoint.NAME)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as serving:  # the running server
        serving.bind((settings.host, settings.ports.model_server))
        serving.listen()
        stack.up(settings, lambda line: None)
    assert model_endpoint.NAME not in stopped
