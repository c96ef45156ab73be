"""The integration tests' stack as containers (`CCFLINK_BACKEND=testcontainers`).

`docker/docker-compose.yml` started through testcontainers: Apache Kafka's image, Confluent's
own Schema Registry image, the Flink and model-server images built from this repository. The
tests then reach it exactly as the local stack, through a profile naming its addresses (all
published on 127.0.0.1 at the README's default ports) and the workers' Python inside the
Flink image. Without a Docker engine the tests that need the stack skip, saying so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testcontainers.compose import DockerCompose

from emulator import model_endpoint
from emulator.config import PROJECT_ROOT, Ports, Settings
from emulator.profiles import Profile
from emulator.testing import containers

BACKEND_ENV = "CCFLINK_BACKEND"
COMPOSE_DIR = PROJECT_ROOT / "docker"
# The Flink image's interpreter (python:3.11-slim), as the stack image's.
CONTAINER_PYTHON = containers.CONTAINER_PYTHON


def wanted() -> bool:
    return os.environ.get(BACKEND_ENV, "local") == "testcontainers"


def docker_engine_problem() -> str | None:
    """Why containers cannot run here, or None when a Docker engine answers."""
    return containers.docker_engine_problem(f"{BACKEND_ENV}=testcontainers")


def container_settings(state_dir: Path, jars_dir: Path) -> Settings:
    """Settings whose every address is a container's published port."""
    ports = Ports()
    host = "127.0.0.1"
    profile = Profile(
        name="testcontainers",
        bootstrap_servers=f"{host}:{ports.kafka}",
        schema_registry_url=f"http://{host}:{ports.schema_registry}",
        flink_rest_url=f"http://{host}:{ports.flink_rest}",
        python_executable=CONTAINER_PYTHON,
    )
    return Settings(state_dir=state_dir, jars_dir=jars_dir, ports=ports, profile=profile)


@contextmanager
def container_stack(settings: Settings) -> Iterator[Settings]:
    """Build and start the compose stack, wait for its health checks, and remove it after."""
    os.environ["CCFLINK_MODEL_API_KEY"] = model_endpoint.ensure_api_key(settings)
    compose = DockerCompose(COMPOSE_DIR, compose_file_name="docker-compose.yml", build=True)
    compose.start()
    try:
        yield settings
    finally:
        compose.stop()
