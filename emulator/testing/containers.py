"""The `ccflink` fixture's stack in one container (`--ccflink-backend=testcontainers`).

`CcflinkContainer` runs the whole stack (Kafka, the Schema Registry, Flink and the
supervisor) from one image built from `docker/ccflink/Dockerfile` (target `stack`), with
testcontainers. The container shares the host's network, so its services listen on free host
ports on 127.0.0.1 exactly as the local backend's do, and the model servers a test starts on
the host (`endpoints.py`) are reachable from Flink inside. It shares the host's process ids too, and
the state folder is mounted at the same path inside, so its pid files, logs and checkpoints
are where the local backend's are, and `CCFLINK_HOME=DIR ccflink status` works on the host.
Flink's Python workers run the image's interpreter, which has ccflink installed.

Host networking is Linux Docker Engine's (Docker Desktop: from 4.34, when enabled).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

from testcontainers.core.container import DockerContainer
from testcontainers.core.docker_client import DockerClient
from testcontainers.core.image import DockerImage
from testcontainers.core.wait_strategies import LogMessageWaitStrategy

from emulator.config import PROJECT_ROOT, Ports, Settings, jars_dir
from emulator.ports import free_ports
from emulator.process import ServiceError
from emulator.profiles import Profile
from emulator.testing.in_container import READY_LINE

BACKEND = "testcontainers"
IMAGE = "ccflink/stack:0.1.0"
DOCKERFILE = Path("docker") / "ccflink" / "Dockerfile"
TARGET = "stack"  # the Dockerfile's stage with the whole stack
# The image's interpreter (python:3.11-slim), the one its TaskManager's Python workers run.
CONTAINER_PYTHON = "/usr/local/bin/python"
READY_TIMEOUT_S = 300.0
STOP_TIMEOUT_S = 60


def docker_engine_problem(wanted_by: str) -> str | None:
    """Why containers cannot run here (`wanted_by` names the setting that asked for them),
    or None when a Docker engine answers."""
    try:
        DockerClient().client.ping()
    except Exception as error:  # the docker library raises several unrelated types
        return f"{wanted_by} needs a Docker engine: {error}"
    return None


def port_variables(ports: Ports) -> dict[str, str]:
    """The environment that moves each service to its port (config.py's CCFLINK_*_PORT)."""
    return {f"CCFLINK_{name.upper()}_PORT": str(port) for name, port in asdict(ports).items()}


def container_settings(state_dir: Path, ports: Ports) -> Settings:
    """What the harness's clients use: the container's services on the host's loopback, and the
    image's Python for the Python functions of the statements they submit."""
    host = "127.0.0.1"
    profile = Profile(
        name=BACKEND,
        bootstrap_servers=f"{host}:{ports.kafka}",
        schema_registry_url=f"http://{host}:{ports.schema_registry}",
        flink_rest_url=f"http://{host}:{ports.flink_rest}",
        python_executable=CONTAINER_PYTHON,
    )
    return Settings(state_dir=state_dir, jars_dir=jars_dir(), ports=ports, profile=profile)


class CcflinkContainer(DockerContainer):
    """The whole stack in one container, on the host's network, its state in `state_dir`."""

    def __init__(self, state_dir: Path, ports: Ports | None = None, image: str = IMAGE) -> None:
        super().__init__(
            image, network_mode="host", pid_mode="host", user=f"{os.getuid()}:{os.getgid()}"
        )
        self.state_dir = state_dir.resolve()
        self.stack_ports = ports or free_ports()
        self.with_volume_mapping(str(self.state_dir), str(self.state_dir), mode="rw")
        self.with_envs(
            CCFLINK_HOME=str(self.state_dir),
            HOME=str(self.state_dir),  # the host's uid has no home in the image
            **port_variables(self.stack_ports),
        )
        self.waiting_for(
            LogMessageWaitStrategy(READY_LINE).with_startup_timeout(int(READY_TIMEOUT_S))
        )

    def settings(self) -> Settings:
        return container_settings(self.state_dir, self.stack_ports)

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        """Let the stack stop its services (SIGTERM, `ccflink down`), then remove it."""
        if self._container is not None:
            self._container.stop(timeout=STOP_TIMEOUT_S)
        super().stop(force=force, delete_volume=delete_volume)


def build_image(tag: str = IMAGE) -> str:
    """Build the stack's image from this checkout (a cache hit after the first time)."""
    if not (PROJECT_ROOT / DOCKERFILE).is_file():
        raise ServiceError(
            f"no {DOCKERFILE} under {PROJECT_ROOT}: build the image from a ccflink checkout "
            f"(docker build -f {DOCKERFILE} --target {TARGET} -t {tag} .) and pass "
            f"--ccflink-image {tag}"
        )
    image = DockerImage(
        path=PROJECT_ROOT, dockerfile_path=str(DOCKERFILE), tag=tag, clean_up=False, target=TARGET
    )
    image.build()
    return tag
