"""The local Azure ML online endpoint as a service of the stack.

The scoring script's `init()` loads its model when the server starts, so whoever starts the
stack says how the model comes to be (`prepare`; the demo trains one when there is none).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import requests

from emulator.config import PROJECT_ROOT, Settings
from emulator.process import ManagedProcess, ServiceError

NAME = "model-server"
# prepare(settings, say): makes what the scoring script loads before the server starts.
Prepare = Callable[[Settings, Callable[[str], None]], None]
DEFAULT_SCORING_SCRIPT = PROJECT_ROOT / "model_server" / "score.py"
# Azure ML's inference server takes its gunicorn worker count from WORKER_COUNT (default 1).
# Two here: one row per request is bound by Python's per-request cost, not by ONNX.
WORKER_COUNT_VARIABLE = "WORKER_COUNT"
DEFAULT_WORKER_COUNT = 2


def worker_count() -> int:
    """Server processes, from WORKER_COUNT as Azure ML reads it; a clear error if not a count."""
    value = os.environ.get(WORKER_COUNT_VARIABLE, str(DEFAULT_WORKER_COUNT))
    if not value.strip().isdigit() or int(value) < 1:
        raise ServiceError(f"{WORKER_COUNT_VARIABLE}={value!r}: give a whole number >= 1")
    return int(value)


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
        str(worker_count()),
    ]
    process.start(command, env={"CCFLINK_MODEL_API_KEYS": settings.model_api_key()})
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="GET / answering Healthy")
    return process
