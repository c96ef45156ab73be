"""Starting the Schema Registry as a service of the stack."""

from __future__ import annotations

import requests

from emulator.config import Settings
from emulator.process import ManagedProcess

NAME = "schema-registry"


def is_ready(settings: Settings) -> bool:
    return requests.get(f"{settings.schema_registry_url}/subjects", timeout=2).ok


def start(settings: Settings) -> ManagedProcess:
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
    process.start(command)
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="GET /subjects")
    return process
