"""`--ccflink-backend=testcontainers`: what can be checked without a Docker engine.

The image's build file copies what exists and is not ignored, builds the jars with the
project's poms and starts the stack module; the container is configured to share the host's
network, process ids and state folder with the harness; the stack module starts, says it is
ready, and stops on SIGTERM; without an engine the plugin's tests skip, saying why, and
options that cannot combine are refused before any test runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from emulator import config, stack
from emulator.config import PROJECT_ROOT, Ports
from emulator.testing import containers, in_container
from tests.unit.test_docker_compose import dockerignore, ignored, instructions

DOCKERFILE = PROJECT_ROOT / containers.DOCKERFILE
EXAMPLE = PROJECT_ROOT / "examples" / "fraud_pipeline"
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}


def run_example_suite(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", *options],
        cwd=EXAMPLE,
        env={**os.environ, **NO_ENGINE},
        capture_output=True,
        text=True,
        timeout=300,
    )


# --------------------------------------------------------------------------- the image


def stages(dockerfile: Path) -> dict[str, list[tuple[str, str]]]:
    """Each build stage's instructions, by the name its FROM gives it."""
    named: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] = []
    for word, args in instructions(dockerfile):
        if word == "FROM":
            current = named.setdefault(args.split()[-1], [])
        current.append((word, args))
    return named


def test_the_image_copies_what_exists_and_is_not_ignored() -> None:
    patterns = dockerignore(DOCKERFILE)
    assert ignored(".venv/bin/python", patterns) and ignored(".ccflink/jars/x.jar", patterns)
    copied = []
    for word, args in instructions(DOCKERFILE):
        if word == "FROM":
            image = args.split()[0]
            is_stage = image in stages(DOCKERFILE)
            assert is_stage or (":" in image and not image.endswith(":latest")), f"pin {image}"
        if word == "COPY" and "--from=" not in args:
            sources = args.split()[:-1]
            for source in sources:
                assert (PROJECT_ROOT / source).exists(), f"{source} is missing"
                assert not ignored(source, patterns), f"{source} is .dockerignored"
            copied += sources
    assert {"common", "emulator", "producers", "pyflink_jobs", "model_server"} <= set(copied)
    assert "emulator/kafka/plain-auth" in copied  # the broker's API-key check


def test_the_stack_target_builds_on_the_shared_stage_and_runs_the_stack_module() -> None:
    named = stages(DOCKERFILE)
    assert containers.TARGET in named and "flink" in named  # compose's flink-* use the other
    jars = " ".join(args for word, args in named["jars"] if word == "RUN")
    assert "mvn -q -B generate-resources -Djars.dir=/jars" in jars
    assert "-f emulator/kafka/plain-auth/pom.xml package -Djars.dir=/jars" in jars
    shared = named["ccflink"]
    assert shared[0][1].startswith(f"python:{sys.version_info.major}.{sys.version_info.minor}-")
    assert any("pip install --no-cache-dir -r requirements.txt" in a for w, a in shared)
    stack_stage = named[containers.TARGET]
    assert stack_stage[0] == ("FROM", f"ccflink AS {containers.TARGET}")
    assert ("COPY", "--from=jars /jars /opt/ccflink/jars") in stack_stage  # Kafka's jars too
    assert ("ENV", "CCFLINK_JARS_DIR=/opt/ccflink/jars") in stack_stage
    entrypoint = next(args for word, args in stack_stage if word == "ENTRYPOINT")
    assert f'"{in_container.__name__}"' in entrypoint


# --------------------------------------------------------------------------- the container


@pytest.fixture
def no_engine_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """DockerContainer asks the engine its API version when made; configuration needs none."""
    monkeypatch.setattr("testcontainers.core.container.DockerClient", lambda **_: None)


def test_the_container_shares_network_pids_and_state_with_the_host(
    no_engine_needed: None, tmp_path: Path
) -> None:
    ports = Ports(kafka=19092, kafka_controller=19093, kafka_sasl=19094, schema_registry=18081,
                  flink_rest=18082, flink_rpc=16123, model_server=15001)  # fmt: skip
    container = containers.CcflinkContainer(tmp_path, ports, image="ccflink/stack:test")
    assert container.image.endswith("ccflink/stack:test")
    assert container._kwargs["network_mode"] == "host"
    assert container._kwargs["pid_mode"] == "host"
    assert container._kwargs["user"] == f"{os.getuid()}:{os.getgid()}"
    assert container.volumes[str(tmp_path)] == {"bind": str(tmp_path), "mode": "rw"}
    assert container.env["CCFLINK_HOME"] == str(tmp_path)
    assert container.env["CCFLINK_KAFKA_PORT"] == "19092"
    assert container.env["CCFLINK_FLINK_REST_PORT"] == "18082"
    assert container.env["CCFLINK_SCHEMA_REGISTRY_PORT"] == "18081"

    settings = container.settings()
    assert settings.bootstrap_servers == "127.0.0.1:19092"
    assert settings.schema_registry_url == "http://127.0.0.1:18081"
    assert settings.flink_rest_url == "http://127.0.0.1:18082"
    assert settings.python == containers.CONTAINER_PYTHON
    assert settings.state_dir == tmp_path


def test_the_port_variables_are_the_ones_config_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    ports = Ports(kafka=1, kafka_controller=2, kafka_sasl=3, schema_registry=4, flink_rest=5,
                  flink_rpc=6, model_server=7)  # fmt: skip
    for variable, value in containers.port_variables(ports).items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("CCFLINK_HOME", "/nonexistent/ccflink-state")
    from_env = config.settings_from_env()
    assert from_env.ports == ports


def test_the_stack_module_says_ready_and_stops_the_stack_on_sigterm(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    monkeypatch.setattr(stack, "up", lambda settings, **options: calls.append(f"up {options}"))
    monkeypatch.setattr(stack, "down", lambda settings: calls.append("down"))
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGTERM))
    previous = signal.getsignal(signal.SIGTERM)
    timer.start()
    try:
        assert in_container.main() == 0
    finally:
        timer.cancel()
        signal.signal(signal.SIGTERM, previous)
    assert calls[0].startswith("up ") and "'model_server': False" in calls[0]
    assert calls[1:] == ["down"]
    assert f"{in_container.READY_LINE} in {tmp_path}" in capsys.readouterr().out


# --------------------------------------------------------------------------- the plugin


def test_without_an_engine_the_example_suite_skips_saying_why() -> None:
    result = run_example_suite("--ccflink-backend=testcontainers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 skipped" in result.stdout
    assert "--ccflink-backend=testcontainers needs a Docker engine" in result.stdout


def test_keep_and_the_container_backend_are_refused_together(tmp_path: Path) -> None:
    result = run_example_suite("--ccflink-backend=testcontainers", f"--ccflink-keep={tmp_path}")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--ccflink-keep keeps a local stack between runs" in result.stderr


def test_an_image_without_the_container_backend_is_refused() -> None:
    result = run_example_suite("--ccflink-image=ccflink/stack:0.1.0")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--ccflink-image needs --ccflink-backend=testcontainers" in result.stderr
