"""The demo's model: trained once per state folder for the local endpoint to serve."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from emulator.config import Settings
from emulator.demo.names import TRAINING_ROWS, TRAINING_SEED
from emulator.process import ServiceError
from producers.synthetic import generate


def model_file(settings: Settings) -> Path:
    return settings.model_dir / "model" / "fraud.onnx"


def ensure_model(settings: Settings, say: Callable[[str], None] = print) -> None:
    """Train the default fraud model once per state folder (the endpoint's `init()` needs it)."""
    if model_file(settings).exists():
        return
    training_dir = settings.data_dir / "training"
    say(f"  training the fraud model on {TRAINING_ROWS:,} synthetic transactions ...")
    generate(TRAINING_ROWS, training_dir, seed=TRAINING_SEED)
    # The model server's own training command, in its own process: the control plane does not
    # load scikit-learn for a model it trains once per state folder.
    command = [settings.python, "-m", "model_server.train", str(training_dir)]
    trained = subprocess.run(
        [*command, "--model-dir", str(settings.model_dir)], capture_output=True, text=True
    )
    if trained.returncode != 0:
        raise ServiceError(f"training the demo model failed: {trained.stderr.strip()[-500:]}")
    auc = next((line for line in trained.stdout.splitlines() if line.startswith("AUC")), "")
    say(f"  model ready: {model_file(settings)} ({auc})")
