"""The fraud pipeline's fixtures: its model, trained once, and its statements, running on the
local Confluent Cloud the `ccflink` fixture (ccflink's pytest plugin) starts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing.harness import Ccflink

ROOT = Path(__file__).resolve().parent.parent
# The connection sql/04_model.sql names in 'azureml.connection': the Azure endpoint on
# Confluent Cloud, the scoring script served locally here.
CONNECTION = "fraud-detection-endpoint"
TRAINING_ROWS = 5_000


@pytest.fixture(scope="session")
def model_dir(request: pytest.FixtureRequest) -> Path:
    """The folder score.py loads ($AZUREML_MODEL_DIR/model/fraud.onnx), trained once with
    ccflink's demo training on synthetic transactions and kept in pytest's cache. A real
    repository would download its registered model here instead."""
    folder = request.config.cache.mkdir("fraud-model")
    if not (folder / "model" / "fraud.onnx").exists():
        data = folder / "training-data"
        ccflink_cli = Path(sys.executable).with_name("ccflink")
        generate = ["data", "generate", "--rows", str(TRAINING_ROWS), "--out", str(data)]
        subprocess.run([str(ccflink_cli), *generate], check=True)
        train = ["-m", "model_server.train", str(data), "--model-dir", str(folder)]
        subprocess.run([sys.executable, *train], check=True)
        shutil.rmtree(data)
    return folder


@pytest.fixture(scope="module")
def pipeline(ccflink: Ccflink, model_dir: Path) -> Ccflink:
    """The workspace's statements, unchanged, with the model behind a local endpoint."""
    ccflink.connection(CONNECTION, score=ROOT / "azure_ml" / "score.py", model_dir=model_dir)
    for path in sorted((ROOT / "sql").glob("*.sql")):
        ccflink.sql_file(path)
    return ccflink
