"""CCFLINK_BACKEND=testcontainers: without a Docker engine the stack's tests skip, saying why."""

from __future__ import annotations

import os
import subprocess
import sys

from emulator.config import PROJECT_ROOT
from tests.integration import container_stack


def test_no_engine_is_reported_with_the_backend_variable(monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    problem = container_stack.docker_engine_problem()
    assert problem is not None
    assert problem.startswith("CCFLINK_BACKEND=testcontainers needs a Docker engine")


def test_integration_tests_skip_without_an_engine() -> None:
    env = {
        **os.environ,
        "CCFLINK_BACKEND": "testcontainers",
        "DOCKER_HOST": "unix:///nonexistent/docker.sock",
    }
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "tests/integration/test_live_view.py"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "CCFLINK_BACKEND=testcontainers needs a Docker engine" in result.stdout


def test_container_settings_point_every_client_at_the_published_ports(tmp_path) -> None:
    settings = container_stack.container_settings(tmp_path, tmp_path)
    assert settings.bootstrap_servers == "127.0.0.1:9092"
    assert settings.schema_registry_url == "http://127.0.0.1:8081"
    assert settings.flink_rest_url == "http://127.0.0.1:8082"
    assert settings.model_server_url == "http://127.0.0.1:5001"
    assert settings.python == container_stack.CONTAINER_PYTHON
