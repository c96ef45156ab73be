"""The local Azure ML online endpoint as a service of the stack: trained model, then server.

`up` needs a model before the endpoint can `init()`; when the state folder has none, one is
trained on a synthetic training set (its own seed, separate from the replayed data).
"""

from __future__ import annotations

from pathlib import Path

import requests

from emulator.config import PROJECT_ROOT, Settings
from emulator.process import ManagedProcess

NAME = "model-server"
DEFAULT_SCORING_SCRIPT = PROJECT_ROOT / "model_server" / "score.py"
TRAINING_ROWS = 20_000
TRAINING_SEED = 7


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
        # Two processes: one row per request is bound by Python's per-request cost, not ONNX.
        "--workers",
        "2",
    ]
    process.start(command, env={"CCFLINK_MODEL_API_KEYS": settings.model_api_key()})
    process.wait_ready(lambda: is_ready(settings), timeout=60, what="GET / answering Healthy")
    return process
