"""Starting the Schema Registry as a service of the stack."""

from __future__ import annotations

from pathlib import Path

import requests

from emulator.config import Settings
from emulator.kafka.broker import credentials_file
from emulator.process import ManagedProcess

NAME = "schema-registry"


def is_ready(settings: Settings) -> bool:
    """The registry answers: 200, or 401 when it runs with basic auth (it serves once restored)."""
    response = requests.get(f"{settings.schema_registry_url}/subjects", timeout=2)
    if response.status_code == 401:
        return response.headers.get("Content-Type", "").startswith("application/json") and (
            response.json().get("error_code") == 401
        )
    return response.ok


def start(settings: Settings, basic_auth_file: Path | None = None) -> ManagedProcess:
    """Start the registry; with `basic_auth_file` (the API keys' credentials) it requires keys,
    as it always does under --secure, where its own Kafka clients log in with the admin key.

    Without it, the registry process still honours CCFLINK_SCHEMA_REGISTRY_BASIC_AUTH_FILE.
    """
    process = ManagedProcess(NAME, settings)
    command = [
        settings.python,
        "-m",
        "emulator.schema_registry",
        "--host",
        settings.host,
        "--port",
        str(settings.ports.schema_registry),
        "--bootstrap-servers",
        settings.bootstrap_servers,
    ]
    if settings.secure:
        basic_auth_file = credentials_file(settings)
        command += ["--kafka-properties", str(settings.client_properties_file)]
    if basic_auth_file is not None:
        command += ["--basic-auth-file", str(basic_auth_file)]
    process.start(command)
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="GET /subjects")
    return process
