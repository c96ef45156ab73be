"""The local Azure ML online endpoint as a service of the stack.

The scoring script's `init()` loads its model when the server starts, so whoever starts the
stack says how the model comes to be (`prepare`; the demo trains one when there is none).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

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


def is_ready(settings: Settings) -> bool:
    return requests.get(f"{settings.model_server_url}/", timeout=2).text.strip() == "Healthy"


def start(settings: Settings, prepare: Prepare | None = None, say=print) -> ManagedProcess:
    """Start the server; `prepare` first makes what its scoring script loads (the model)."""
    if prepare is not None:
        prepare(settings, say)
    process = ManagedProcess(NAME, settings)
    command = [
        settings.python,
        "-m",
        "model_server",
        "--entry-script",
        str(DEFAULT_SCORING_SCRIPT),
        "--model-dir",
        str(settings.model_dir),
        "--host",
        settings.host,
        "--port",
        str(settings.ports.model_server),
        "--workers",
        str(config.model_server_workers()),
    ]
    process.start(command, env={"CCFLINK_MODEL_API_KEYS": ensure_api_key(settings)})
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="GET / answering Healthy")
    return process
