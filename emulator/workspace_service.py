"""The browser workspace (`emulator/workspace`) as a service of the stack.

It starts last, once Flink runs, since its statements go there. It is always bound to
loopback: under `up --secure` it asks for an API key as well (HTTP basic auth).
"""

from __future__ import annotations

import requests

from emulator.config import Settings
from emulator.process import ManagedProcess

NAME = "workspace"


def is_ready(settings: Settings) -> bool:
    """It answers its health route: 200, or 401 under --secure (it asks every client for a key)."""
    response = requests.get(f"{settings.workspace_url}/api/health", timeout=2)
    return response.status_code in (200, 401)


def start(settings: Settings) -> ManagedProcess:
    """Start the workspace over the stack this state folder records (its ports, --secure)."""
    process = ManagedProcess(NAME, settings)
    command = [settings.python, "-m", "emulator.workspace", "--state-dir", str(settings.state_dir)]
    process.start(command)
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="GET /api/health")
    return process
