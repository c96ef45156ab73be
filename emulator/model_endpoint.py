"""The local Azure ML online endpoint as a service of the stack.

The scoring script's `init()` loads its model when the server starts, so whoever starts the
stack says how the model comes to be (`prepare`; the demo trains one when there is none).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from emulator import config
from emulator.config import PROJECT_ROOT, Settings
from emulator.process import ManagedProcess

NAME = "model-server"
# prepare(settings, say): makes what the scoring script loads before the server starts.
Prepare = Callable[[Settings, Callable[[str], None]], None]
DEFAULT_SCORING_SCRIPT = PROJECT_ROOT / "model_server" / "score.py"


def ensure_api_key(settings: Settings) -> str:
    """The endpoint's key: made once per state folder, readable by the owner only."""
    path = settings.model_api_key_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return settings.model_api_key()


@dataclass(frozen=True)
class Endpoint:
    """One model server: a scoring script and the model folder its `init()` loads, on a port.

    The stack's own serves the demo's script; a test's (`emulator/testing`) serves the user's.
    """

    process_name: str
    entry_script: Path
    model_dir: Path
    port: int

    def url(self, settings: Settings) -> str:
        return f"http://{settings.host}:{self.port}"


def answers_healthy(url: str) -> bool:
    """Azure ML's liveness answer: GET / says `Healthy` once the script's `init()` is done."""
    return requests.get(f"{url}/", timeout=2).text.strip() == "Healthy"


def is_ready(settings: Settings) -> bool:
    return answers_healthy(settings.model_server_url)


def serve(settings: Settings, endpoint: Endpoint, api_key: str) -> ManagedProcess:
    """Start a model server for `endpoint` accepting `api_key`; return once it is healthy."""
    process = ManagedProcess(endpoint.process_name, settings)
    command = [
        settings.python,
        "-m",
        "model_server",
        "--entry-script",
        str(endpoint.entry_script),
        "--model-dir",
        str(endpoint.model_dir),
        "--host",
        settings.host,
        "--port",
        str(endpoint.port),
        "--workers",
        str(config.model_server_workers()),
    ]
    process.start(command, env={"CCFLINK_MODEL_API_KEYS": api_key})
    url = endpoint.url(settings)
    process.wait_ready(lambda: answers_healthy(url), timeout=60, what="GET / answering Healthy")
    return process


def start(settings: Settings, prepare: Prepare | None = None, say=print) -> ManagedProcess:
    """Start the stack's server; `prepare` first makes what its scoring script loads (the model)."""
    if prepare is not None:
        prepare(settings, say)
    endpoint = Endpoint(
        NAME, DEFAULT_SCORING_SCRIPT, settings.model_dir, settings.ports.model_server
    )
    return serve(settings, endpoint, ensure_api_key(settings))
