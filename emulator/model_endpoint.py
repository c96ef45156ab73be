"""The local Azure ML online endpoint as a service of the stack: trained model, then server.

`up` needs a model before the endpoint can `init()`; when the state folder has none, one is
trained on a synthetic training set (its own seed, separate from the replayed data).
"""

from __future__ import annotations

import os
from pathlib import Path

import requests

from emulator.config import PROJECT_ROOT, Settings
from emulator.process import ManagedProcess, ServiceError

NAME = "model-server"
DEFAULT_SCORING_SCRIPT = PROJECT_ROOT / "model_server" / "score.py"
TRAINING_ROWS = 20_000
TRAINING_SEED = 7
# Azure ML's inference server takes its gunicorn worker count from WORKER_COUNT (default 1).
# Two here: one row per request is bound by Python's per-request cost, not by ONNX.
WORKER_COUNT_VARIABLE = "WORKER_COUNT"
DEFAULT_WORKER_COUNT = 2


def model_file(settings: Settings) -> Path:
    return settings.model_dir / "model" / "fraud.onnx"


def ensure_model(settings: Settings, say=print) -> None:
    """Train the default fraud model once per state folder."""
    if model_file(settings).exists():
        return
    from model_server.train import train
    from producers.synthetic import generate

    training_dir = settings.data_dir / "training"
    say(f"  training the fraud model on {TRAINING_ROWS:,} synthetic transactions ...")
    files = generate(TRAINING_ROWS, training_dir, seed=TRAINING_SEED)
    report = train(files.transaction_path, files.identity_path, settings.model_dir)
    say(f"  model ready: {model_file(settings)} (held-out AUC {report.auc:.3f})")


def worker_count() -> int:
    """Server processes, from WORKER_COUNT as Azure ML reads it; a clear error if not a count."""
    value = os.environ.get(WORKER_COUNT_VARIABLE, str(DEFAULT_WORKER_COUNT))
    if not value.strip().isdigit() or int(value) < 1:
        raise ServiceError(f"{WORKER_COUNT_VARIABLE}={value!r}: give a whole number >= 1")
    return int(value)


def is_ready(settings: Settings) -> bool:
    return requests.get(f"{settings.model_server_url}/", timeout=2).text.strip() == "Healthy"


def start(settings: Settings, say=print) -> ManagedProcess:
    ensure_model(settings, say)
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
