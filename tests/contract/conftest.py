"""Microsoft's azureml-inference-server-http beside ours, for the parity tests.

Its own venv (`benchmarks/azmlinfsrv.py`, shared with the endpoint benchmark) keeps it out of
the project's venv.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.azmlinfsrv import azmlinfsrv_command
from emulator.ports import free_port_numbers
from tests.servers import Server


@pytest.fixture(scope="session")
def azmlinfsrv() -> list[str]:
    """The command that starts Microsoft's server (`azmlinfsrv` console script)."""
    return azmlinfsrv_command()


@pytest.fixture(scope="session")
def start_pair(azmlinfsrv: list[str]) -> Iterator:
    """start_pair(script, model_dir, key) -> (microsoft, ours), both answering GET /."""
    servers: list[Server] = []

    def start(script: Path, model_dir: Path, key: str) -> tuple[Server, Server]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AZUREML_")}
        ms_port, our_port = free_port_numbers(2)
        microsoft = Server(
            "azmlinfsrv",
            [
                *azmlinfsrv,
                "--entry_script",
                str(script),
                "--model_dir",
                str(model_dir),
                "--port",
                str(ms_port),
            ],
            ms_port,
            env,
        )
        ours = Server(
            "model_server",
            [
                sys.executable,
                "-m",
                "model_server",
                "--entry-script",
                str(script),
                "--model-dir",
                str(model_dir),
                "--port",
                str(our_port),
            ],
            our_port,
            {**env, "CCFLINK_MODEL_API_KEYS": key},
        )
        servers.extend([microsoft, ours])
        microsoft.wait()
        ours.wait()
        return microsoft, ours

    try:
        yield start
    finally:
        for server in servers:
            server.close()
