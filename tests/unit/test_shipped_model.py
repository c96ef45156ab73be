"""The model `make up` ships learns something real from the synthetic twin.

Trained exactly as `ensure_model` trains it (same rows, same seed), it is scored on the latest
20% of transactions by TransactionDT, a period it never saw.
"""

from __future__ import annotations

from pathlib import Path

from emulator.demo import TRAINING_ROWS, TRAINING_SEED
from model_server.train import train
from producers.synthetic import generate


def test_shipped_model_beats_chance_on_a_later_period(tmp_path: Path) -> None:
    files = generate(TRAINING_ROWS, tmp_path / "data", seed=TRAINING_SEED)
    report = train(files.transaction_path, files.identity_path, tmp_path / "model")
    assert report.test_rows == TRAINING_ROWS // 5
    assert report.auc is not None
    assert report.auc > 0.8, f"held-out AUC {report.auc:.3f} on the latest 20% by TransactionDT"
