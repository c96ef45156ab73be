"""The model card beside the model, and `python -m model_server.train` on Kaggle-style folders."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from model_server.features import CATEGORICAL_FEATURES, FEATURES, OUTPUTS
from model_server.train import (
    IDENTITIES_FILE,
    KAGGLE_ARCHIVE,
    MODEL_CARD,
    TRANSACTIONS_FILE,
    data_fingerprint,
    find_training_files,
    load_frame,
    main,
    train,
    train_frame,
)
from tests.unit.test_train import write_kaggle_csvs

ROWS = 400


@pytest.fixture(scope="module")
def kaggle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("kaggle-files")
    write_kaggle_csvs(folder, n=ROWS)
    # What else a Kaggle download holds; training ignores it.
    (folder / "test_transaction.csv").write_text("TransactionID\n1\n")
    (folder / "sample_submission.csv").write_text("TransactionID,isFraud\n1,0.5\n")
    return folder


@pytest.fixture(scope="module")
def card(kaggle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    model_dir = tmp_path_factory.mktemp("card-model")
    report = train(kaggle / TRANSACTIONS_FILE, kaggle / IDENTITIES_FILE, model_dir, max_iter=20)
    assert report.card_path == model_dir / "model" / MODEL_CARD
    return json.loads(report.card_path.read_text())


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_card_lists_features_outputs_and_rows(card: dict) -> None:
    assert [f["name"] for f in card["features"]] == FEATURES
    assert {f["name"] for f in card["features"] if f["kind"] == "categorical"} == set(
        CATEGORICAL_FEATURES
    )
    assert card["outputs"] == OUTPUTS
    assert card["rows"] == {"total": ROWS, "train": 320, "test": 80}
    assert card["algorithm"]["max_iter"] == 20


def test_card_metrics_include_auc(card: dict) -> None:
    metrics = card["metrics"]["held_out"]
    assert set(metrics) >= {"auc", "average_precision", "accuracy", "precision", "recall"}
    assert 0.5 < metrics["auc"] <= 1.0
    assert 0 <= metrics["fraud_rate"] <= 1


def test_card_fingerprint_is_the_sha256_of_the_training_csvs(card: dict, kaggle: Path) -> None:
    fingerprint = card["data_fingerprint"]
    assert fingerprint["files"] == {
        IDENTITIES_FILE: _sha256(kaggle / IDENTITIES_FILE),
        TRANSACTIONS_FILE: _sha256(kaggle / TRANSACTIONS_FILE),
    }
    assert fingerprint == data_fingerprint([kaggle / TRANSACTIONS_FILE, kaggle / IDENTITIES_FILE])
    assert len(fingerprint["sha256"]) == 64


def test_fingerprint_changes_with_the_data(tmp_path: Path, kaggle: Path) -> None:
    copy = tmp_path / TRANSACTIONS_FILE
    shutil.copy(kaggle / TRANSACTIONS_FILE, copy)
    before = data_fingerprint([copy, kaggle / IDENTITIES_FILE])["sha256"]
    copy.write_bytes(copy.read_bytes() + b"\n")
    assert data_fingerprint([copy, kaggle / IDENTITIES_FILE])["sha256"] != before


def test_train_frame_alone_fingerprints_the_frame(tmp_path: Path, kaggle: Path) -> None:
    frame = load_frame(kaggle / TRANSACTIONS_FILE, kaggle / IDENTITIES_FILE)
    first = train_frame(frame, tmp_path / "a", max_iter=5)
    second = train_frame(frame, tmp_path / "b", max_iter=5)
    card_a = json.loads(first.card_path.read_text())
    assert card_a["data_fingerprint"]["files"] == {}
    assert first.card_path.read_bytes() == second.card_path.read_bytes()


def test_find_training_files_plain_and_compressed(tmp_path: Path, kaggle: Path) -> None:
    assert find_training_files(kaggle) == (kaggle / TRANSACTIONS_FILE, kaggle / IDENTITIES_FILE)
    packed = tmp_path / "packed"
    packed.mkdir()
    with zipfile.ZipFile(packed / f"{TRANSACTIONS_FILE}.zip", "w") as bundle:
        bundle.write(kaggle / TRANSACTIONS_FILE, TRANSACTIONS_FILE)
    with gzip.open(packed / f"{IDENTITIES_FILE}.gz", "wb") as sink:
        sink.write((kaggle / IDENTITIES_FILE).read_bytes())
    assert find_training_files(packed) == (
        packed / f"{TRANSACTIONS_FILE}.zip",
        packed / f"{IDENTITIES_FILE}.gz",
    )


def test_find_training_files_in_the_competition_zip(tmp_path: Path, kaggle: Path) -> None:
    archive = tmp_path / KAGGLE_ARCHIVE
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name in (TRANSACTIONS_FILE, IDENTITIES_FILE, "sample_submission.csv"):
            bundle.write(kaggle / name, name)
    transactions, identities = find_training_files(tmp_path)
    assert transactions.read_bytes() == (kaggle / TRANSACTIONS_FILE).read_bytes()
    assert identities.read_bytes() == (kaggle / IDENTITIES_FILE).read_bytes()
    assert find_training_files(archive) == (transactions, identities)


def test_find_training_files_names_what_is_missing(tmp_path: Path, kaggle: Path) -> None:
    shutil.copy(kaggle / TRANSACTIONS_FILE, tmp_path / TRANSACTIONS_FILE)
    with pytest.raises(FileNotFoundError, match=IDENTITIES_FILE):
        find_training_files(tmp_path)


def test_cli_trains_from_a_kaggle_folder(
    tmp_path: Path, kaggle: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main([str(kaggle), "--model-dir", str(tmp_path), "--max-iter", "5"])
    out = capsys.readouterr().out
    assert f"rows: {ROWS}" in out and "AUC" in out
    for name in ("fraud.onnx", "metadata.json", MODEL_CARD):
        assert (tmp_path / "model" / name).is_file()
    main(["--data", str(kaggle), "--model-dir", str(tmp_path / "again"), "--max-iter", "5"])
    assert (tmp_path / "again" / "model" / MODEL_CARD).is_file()
    with pytest.raises(SystemExit):
        main([str(tmp_path / "nowhere"), "--model-dir", str(tmp_path / "x")])
