"""Training on Kaggle-shaped CSVs: the exported ONNX model and score.py agree with sklearn."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest

from common.ieee_cis import IDENTITY_COLUMNS, TRANSACTION_COLUMNS, Kind
from model_server import score
from model_server.features import CATEGORICAL_FEATURES, FEATURES, OUTPUTS, time_features
from model_server.train import (
    TIME_COLUMN,
    add_time_features,
    build_pipeline,
    load_frame,
    onnx_feed,
    prepare_features,
    train,
)

ROWS = 600


def _column(kind: Kind, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind is Kind.STRING:
        return rng.choice(np.array(["W", "C", "H", "R", None], dtype=object), n)
    if kind is Kind.INT:
        return rng.integers(1_000, 18_000, n)
    values = rng.normal(100, 30, n).round(2)
    values[rng.random(n) < 0.3] = np.nan
    return values


def write_kaggle_csvs(folder: Path, n: int = ROWS, seed: int = 7) -> tuple[Path, Path]:
    """train_transaction.csv + train_identity.csv: all Kaggle headers, a learnable signal."""
    rng = np.random.default_rng(seed)
    fraud = rng.random(n) < 0.15
    transactions = {c.name: _column(c.kind, rng, n) for c in TRANSACTION_COLUMNS}
    transactions["TransactionID"] = np.arange(2_987_000, 2_987_000 + n)
    transactions["isFraud"] = fraud.astype(int)
    transactions["TransactionDT"] = np.sort(rng.integers(86_400, 86_400 * 180, n))
    transactions["TransactionAmt"] = (rng.gamma(2.0, 40.0, n) + 150 * fraud).round(2)
    transactions["ProductCD"] = np.where(fraud, "C", rng.choice(["W", "H", "R"], n))
    with_identity = transactions["TransactionID"][rng.random(n) < 0.4]
    identities = {c.name: _column(c.kind, rng, len(with_identity)) for c in IDENTITY_COLUMNS}
    identities["TransactionID"] = with_identity
    identities["DeviceType"] = rng.choice(np.array(["desktop", "mobile", None]), len(with_identity))
    transactions_csv = folder / "train_transaction.csv"
    identities_csv = folder / "train_identity.csv"
    pd.DataFrame(transactions).to_csv(transactions_csv, index=False)
    pd.DataFrame(identities).to_csv(identities_csv, index=False)
    return transactions_csv, identities_csv


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("kaggle")
    transactions_csv, identities_csv = write_kaggle_csvs(folder)
    model_dir = folder / "model_dir"
    report = train(transactions_csv, identities_csv, model_dir, max_iter=40)
    frame = load_frame(transactions_csv, identities_csv).sort_values(TIME_COLUMN, kind="stable")
    return {"report": report, "model_dir": model_dir, "frame": frame.reset_index(drop=True)}


def test_vectorised_time_features_match_the_scalar_definition() -> None:
    seconds = pd.Series([0, 86_399, 86_400 * 3 + 5, 86_400 * 32, 86_400 * 400, 15_811_131])
    vectorised = add_time_features(seconds)
    expected = [time_features(s) for s in seconds]
    assert [tuple(row) for row in vectorised.to_numpy().tolist()] == expected


def test_train_writes_model_and_metadata(trained: dict[str, object]) -> None:
    report = trained["report"]
    assert (report.rows, report.train_rows, report.test_rows) == (ROWS, 480, 120)
    assert report.auc is not None and report.auc > 0.8
    metadata = json.loads(report.metadata_path.read_text())
    assert [f["name"] for f in metadata["features"]] == FEATURES
    kinds = {f["name"]: f["kind"] for f in metadata["features"]}
    assert {n for n, k in kinds.items() if k == "categorical"} == set(CATEGORICAL_FEATURES)
    assert metadata["outputs"] == OUTPUTS
    assert "trained_at" not in metadata
    session = ort.InferenceSession(str(report.onnx_path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == FEATURES


def test_retraining_the_same_data_gives_the_same_files(
    trained: dict[str, object], tmp_path: Path
) -> None:
    report = trained["report"]
    data = report.onnx_path.parents[2]
    again = train(
        data / "train_transaction.csv", data / "train_identity.csv", tmp_path, max_iter=40
    )
    assert again.onnx_path.read_bytes() == report.onnx_path.read_bytes()
    assert again.metadata_path.read_bytes() == report.metadata_path.read_bytes()


def test_onnx_matches_sklearn_including_unseen_categories(trained: dict[str, object]) -> None:
    frame: pd.DataFrame = trained["frame"]
    features = prepare_features(frame)
    pipeline = build_pipeline(random_state=0, max_iter=40)
    pipeline.fit(features.iloc[:480], frame["isFraud"].to_numpy()[:480])
    rows = features.iloc[480:].copy()
    rows.loc[rows.index[:5], "ProductCD"] = "never-seen"
    rows.loc[rows.index[5:10], "DeviceInfo"] = "another unseen device"

    session = ort.InferenceSession(
        str(trained["report"].onnx_path), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, onnx_feed(rows))

    np.testing.assert_allclose(probabilities[:, 1], pipeline.predict_proba(rows)[:, 1], atol=1e-5)
    np.testing.assert_array_equal(labels, pipeline.predict(rows))


def _payload(frame: pd.DataFrame) -> str:
    """The pandas split Confluent sends: raw values, NaN and missing strings as JSON null."""
    data = [
        [None if isinstance(v, float) and math.isnan(v) else v for v in row]
        for row in frame[FEATURES].astype(object).to_numpy().tolist()
    ]
    split = {"columns": FEATURES, "index": list(range(len(data))), "data": data}
    return json.dumps({"input_data": split})


def test_score_run_matches_onnxruntime(
    trained: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(trained["model_dir"]))
    score.init()
    rows = trained["frame"].iloc[480:520]
    session = ort.InferenceSession(
        str(trained["report"].onnx_path), providers=["CPUExecutionProvider"]
    )
    labels, probabilities = session.run(None, onnx_feed(prepare_features(rows)))
    expected = [
        [int(label), float(p)] for label, p in zip(labels, probabilities[:, 1], strict=True)
    ]

    assert score.run(_payload(rows)) == expected
    assert score.run(_payload(rows.iloc[:1])) == expected[0]


def test_load_frame_names_missing_columns(tmp_path: Path) -> None:
    transactions_csv, identities_csv = write_kaggle_csvs(tmp_path, n=20)
    pd.read_csv(transactions_csv).drop(columns=["card4"]).to_csv(transactions_csv, index=False)
    with pytest.raises(ValueError, match="card4"):
        load_frame(transactions_csv, identities_csv)
