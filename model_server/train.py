"""Train the fraud model on IEEE-CIS-shaped CSVs and export it as the ONNX file score.py serves.

The ONNX graph takes one named `[None, 1]` input per feature (in `features.FEATURES` order), so
the scoring script can map the pandas-split columns Confluent sends by name, and nothing
sklearn-specific has to exist where the model is served.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType, StringTensorType
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import (
    average_precision_score,
    precision_score,
    recall_score,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from common.ieee_cis import (
    IDENTITY_COLUMNS,
    KEY_COLUMN,
    TRANSACTION_COLUMNS,
    Kind,
    normalize_identity_name,
)
from model_server.features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    OUTPUTS,
    REFERENCE_START,
)

TARGET = "isFraud"
TIME_COLUMN = "TransactionDT"
TIME_FEATURES = ["DT_D", "DT_W", "DT_M"]
# What a missing string becomes, in training and in score.py: its own category.
MISSING_STRING = ""
# Categories never seen in training are encoded as this (the trees treat it like any number).
UNKNOWN_CATEGORY = -1
# Highest opsets skl2onnx 1.20 writes for this graph that onnxruntime 1.32 runs.
TARGET_OPSET = {"": 18, "ai.onnx.ml": 3}
PROBABILITY_TOLERANCE = 1e-5
_PANDAS_DTYPE = {Kind.INT: "int64", Kind.FLOAT: "float64", Kind.STRING: "object"}
MODEL_CARD = "model_card.json"
TRANSACTIONS_FILE, IDENTITIES_FILE = "train_transaction.csv", "train_identity.csv"
# What a Kaggle download may look like: plain, compressed, or the competition's zip.
_COMPRESSED_SUFFIXES = ("", ".zip", ".gz", ".bz2", ".xz")
KAGGLE_ARCHIVE = "ieee-fraud-detection.zip"
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class TrainReport:
    """What one training run produced; `auc` is None when the test rows hold a single class."""

    rows: int
    train_rows: int
    test_rows: int
    auc: float | None
    max_probability_diff: float
    seconds: float
    onnx_path: Path
    metadata_path: Path
    card_path: Path | None = None


def add_time_features(transaction_dt: pd.Series) -> pd.DataFrame:
    """Vectorised `features.time_features`: day of year, day of week (Sunday = 1), month."""
    moment = pd.Timestamp(REFERENCE_START) + pd.to_timedelta(transaction_dt.astype("int64"), "s")
    return pd.DataFrame(
        {
            "DT_D": moment.dt.dayofyear,
            "DT_W": (moment.dt.dayofweek + 1) % 7 + 1,
            "DT_M": moment.dt.month,
        },
        index=transaction_dt.index,
    )


def _read(path: Path, kinds: dict[str, Kind], wanted: set[str]) -> pd.DataFrame:
    """Read only the columns training needs, typed per common/ieee_cis.py."""
    header = pd.read_csv(path, nrows=0).columns
    raw_by_name = {normalize_identity_name(raw): raw for raw in header}
    names = [n for n in raw_by_name if n in wanted]
    frame = pd.read_csv(
        path,
        usecols=[raw_by_name[n] for n in names],
        dtype={raw_by_name[n]: _PANDAS_DTYPE[kinds[n]] for n in names},
    )
    return frame.rename(columns={raw_by_name[n]: n for n in names})


def load_frame(transactions_csv: Path, identities_csv: Path) -> pd.DataFrame:
    """Transactions left-joined with identities plus time features, as the pipeline joins them."""
    wanted = {KEY_COLUMN, TARGET, TIME_COLUMN, *FEATURES}
    transactions = _read(transactions_csv, {c.name: c.kind for c in TRANSACTION_COLUMNS}, wanted)
    identities = _read(identities_csv, {c.name: c.kind for c in IDENTITY_COLUMNS}, wanted)
    frame = transactions.merge(identities, on=KEY_COLUMN, how="left")
    frame = frame.join(add_time_features(frame[TIME_COLUMN]))
    missing = sorted(wanted - set(frame.columns))
    if missing:
        raise ValueError(f"training data lacks columns: {', '.join(missing)}")
    return frame


def prepare_features(frame: pd.DataFrame) -> pd.DataFrame:
    """FEATURES as the model sees them: float32 numbers (what ONNX gets), strings with no NaN."""
    numeric = frame[NUMERIC_FEATURES].astype("float32")
    categorical = (
        frame[CATEGORICAL_FEATURES]
        .astype(object)
        .where(frame[CATEGORICAL_FEATURES].notna(), MISSING_STRING)
    )
    return pd.concat([numeric, categorical.astype(str)], axis=1)[FEATURES]


def build_pipeline(random_state: int, max_iter: int) -> Pipeline:
    """Ordinal-encode the strings (unknown -> -1), pass numbers through (NaN is handled)."""
    encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=UNKNOWN_CATEGORY)
    columns = ColumnTransformer(
        [
            ("categorical", encoder, CATEGORICAL_FEATURES),
            ("numeric", "passthrough", NUMERIC_FEATURES),
        ]
    )
    model = HistGradientBoostingClassifier(
        max_iter=max_iter, learning_rate=0.1, early_stopping=False, random_state=random_state
    )
    return Pipeline([("columns", columns), ("model", model)])


def onnx_feed(features: pd.DataFrame) -> dict[str, np.ndarray]:
    """One `[N, 1]` array per ONNX input, named after the feature."""
    feed: dict[str, np.ndarray] = {}
    for name in NUMERIC_FEATURES:
        feed[name] = features[name].to_numpy(np.float32).reshape(-1, 1)
    for name in CATEGORICAL_FEATURES:
        feed[name] = features[name].to_numpy(object).reshape(-1, 1)
    return feed


def export_onnx(pipeline: Pipeline) -> bytes:
    """Serialize the fitted pipeline: label tensor + probability tensor (no ZipMap)."""
    initial_types = [(n, FloatTensorType([None, 1])) for n in NUMERIC_FEATURES] + [
        (n, StringTensorType([None, 1])) for n in CATEGORICAL_FEATURES
    ]
    model = convert_sklearn(
        pipeline,
        name="fraud",  # skl2onnx otherwise names the graph with a random UUID
        initial_types=initial_types,
        target_opset=TARGET_OPSET,
        options={id(pipeline.named_steps["model"]): {"zipmap": False}},
    )
    return model.SerializeToString()


def _metadata(auc: float | None, train_rows: int, test_rows: int) -> dict[str, object]:
    """What score.py needs to map columns, plus what a reader wants to know (no timestamps)."""
    categorical = set(CATEGORICAL_FEATURES)
    return {
        "features": [
            {"name": n, "kind": "categorical" if n in categorical else "numeric"} for n in FEATURES
        ],
        "outputs": OUTPUTS,
        "missing_string": MISSING_STRING,
        "auc": auc,
        "rows": {"train": train_rows, "test": test_rows},
    }


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def data_fingerprint(files: list[Path]) -> dict[str, object]:
    """sha256 of each training file (by name) and one over all of them, in name order."""
    hashes = {path.name: file_sha256(path) for path in sorted(files, key=lambda p: p.name)}
    combined = hashlib.sha256("".join(f"{n}={h}\n" for n, h in hashes.items()).encode())
    return {"sha256": combined.hexdigest(), "files": hashes}


def frame_fingerprint(frame: pd.DataFrame) -> dict[str, object]:
    """For a frame trained on without files: a sha256 over its values, column names and order."""
    digest = hashlib.sha256("\x1f".join(map(str, frame.columns)).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return {"sha256": digest.hexdigest(), "files": {}}


def _metrics(target: np.ndarray, probability: np.ndarray) -> dict[str, float | None]:
    """Held-out metrics; ranking metrics are None when the test rows hold a single class."""
    predicted = (probability >= 0.5).astype(int)
    two_classes = len(np.unique(target)) == 2
    return {
        "auc": float(roc_auc_score(target, probability)) if two_classes else None,
        "average_precision": (
            float(average_precision_score(target, probability)) if two_classes else None
        ),
        "accuracy": float(np.mean(predicted == target)),
        "precision": float(precision_score(target, predicted, zero_division=0)),
        "recall": float(recall_score(target, predicted, zero_division=0)),
        "fraud_rate": float(np.mean(target)),
    }


def model_card(
    metrics: dict[str, float | None],
    *,
    rows: int,
    train_rows: int,
    test_rows: int,
    fingerprint: dict[str, object],
    max_iter: int,
    random_state: int,
    test_fraction: float,
) -> dict[str, object]:
    """What the model is, what it was trained on and how well it did (no timestamps: a
    retrain on the same files gives the same card)."""
    categorical = set(CATEGORICAL_FEATURES)
    return {
        "name": "fraud",
        "task": "classification",
        "format": "onnx",
        "features": [
            {"name": n, "kind": "categorical" if n in categorical else "numeric"} for n in FEATURES
        ],
        "outputs": OUTPUTS,
        "target": TARGET,
        "algorithm": {
            "name": "HistGradientBoostingClassifier",
            "max_iter": max_iter,
            "learning_rate": 0.1,
            "random_state": random_state,
        },
        "split": {"by": TIME_COLUMN, "test_fraction": test_fraction, "test_is": "later rows"},
        "rows": {"total": rows, "train": train_rows, "test": test_rows},
        "metrics": {"held_out": metrics},
        "data_fingerprint": fingerprint,
    }


def train_frame(
    frame: pd.DataFrame,
    model_dir: Path,
    *,
    test_fraction: float = 0.2,
    max_iter: int = 150,
    random_state: int = 0,
    fingerprint: dict[str, object] | None = None,
) -> TrainReport:
    """Fit on the earlier rows by TransactionDT, evaluate on the later ones, export and verify."""
    started = time.perf_counter()
    ordered = frame.sort_values(TIME_COLUMN, kind="stable").reset_index(drop=True)
    split = int(len(ordered) * (1 - test_fraction))
    if split == 0 or split == len(ordered):
        raise ValueError(f"{len(ordered)} rows cannot be split {1 - test_fraction:.0%}/rest")
    features = prepare_features(ordered)
    target = ordered[TARGET].to_numpy()
    pipeline = build_pipeline(random_state, max_iter)
    pipeline.fit(features.iloc[:split], target[:split])

    held_out = features.iloc[split:]
    expected = pipeline.predict_proba(held_out)[:, 1]
    held_out_target = target[split:]
    metrics = _metrics(held_out_target, expected)
    auc = metrics["auc"]

    onnx_bytes = export_onnx(pipeline)
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    _, probabilities = session.run(None, onnx_feed(held_out))
    diff = float(np.max(np.abs(probabilities[:, 1] - expected)))
    if not diff <= PROBABILITY_TOLERANCE:
        raise RuntimeError(f"ONNX probabilities differ from sklearn's by {diff:.3g}")

    out = model_dir / "model"
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / "fraud.onnx"
    metadata_path = out / "metadata.json"
    onnx_path.write_bytes(onnx_bytes)
    metadata = _metadata(auc, split, len(ordered) - split)
    metadata_path.write_text(json.dumps(metadata, indent=2) + "\n")
    card = model_card(
        metrics,
        rows=len(ordered),
        train_rows=split,
        test_rows=len(ordered) - split,
        fingerprint=fingerprint if fingerprint is not None else frame_fingerprint(frame),
        max_iter=max_iter,
        random_state=random_state,
        test_fraction=test_fraction,
    )
    card_path = out / MODEL_CARD
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    return TrainReport(
        rows=len(ordered),
        train_rows=split,
        test_rows=len(ordered) - split,
        auc=auc,
        max_probability_diff=diff,
        seconds=time.perf_counter() - started,
        onnx_path=onnx_path,
        metadata_path=metadata_path,
        card_path=card_path,
    )


def train(
    transactions_csv: Path,
    identities_csv: Path,
    model_dir: Path,
    *,
    test_fraction: float = 0.2,
    max_iter: int = 150,
    random_state: int = 0,
) -> TrainReport:
    """Read the Kaggle-shaped CSV pair and train; `seconds` includes reading the CSVs."""
    started = time.perf_counter()
    frame = load_frame(transactions_csv, identities_csv)
    report = train_frame(
        frame,
        model_dir,
        test_fraction=test_fraction,
        max_iter=max_iter,
        random_state=random_state,
        fingerprint=data_fingerprint([transactions_csv, identities_csv]),
    )
    return replace(report, seconds=time.perf_counter() - started)


def find_training_files(data: Path, unpack_to: Path | None = None) -> tuple[Path, Path]:
    """train_transaction.csv and train_identity.csv in a folder (plain or .zip/.gz/.bz2/.xz,
    as Kaggle serves them), or inside the competition zip (unpacked into `unpack_to`)."""
    if data.is_file() and zipfile.is_zipfile(data):
        archive = data
    else:
        found = []
        for name in (TRANSACTIONS_FILE, IDENTITIES_FILE):
            candidates = [data / f"{name}{suffix}" for suffix in _COMPRESSED_SUFFIXES]
            existing = [p for p in candidates if p.is_file()]
            found.append(existing[0] if existing else None)
        if all(found):
            return found[0], found[1]
        archive = data / KAGGLE_ARCHIVE
        if not archive.is_file():
            missing = [
                n for n, p in zip((TRANSACTIONS_FILE, IDENTITIES_FILE), found, strict=True) if not p
            ]
            raise FileNotFoundError(
                f"{data} has no {' or '.join(missing)} (nor .zip/.gz of them, nor {KAGGLE_ARCHIVE})"
            )
    target = unpack_to or archive.parent
    with zipfile.ZipFile(archive) as bundle:
        members = {Path(m).name: m for m in bundle.namelist()}
        paths = []
        for name in (TRANSACTIONS_FILE, IDENTITIES_FILE):
            if name not in members:
                raise FileNotFoundError(f"{archive} has no {name}")
            path = target / name
            if not path.is_file():
                with bundle.open(members[name]) as source, path.open("wb") as sink:
                    while chunk := source.read(_HASH_CHUNK):
                        sink.write(chunk)
            paths.append(path)
    return paths[0], paths[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model_server.train", description=__doc__)
    parser.add_argument(
        "data_folder",
        type=Path,
        nargs="?",
        help="folder with Kaggle's IEEE-CIS files (train_transaction.csv, train_identity.csv; "
        f"also .zip/.gz, or {KAGGLE_ARCHIVE}); test_* and sample_submission files are ignored",
    )
    parser.add_argument("--data", type=Path, help="the same folder, as an option")
    parser.add_argument(
        "--model-dir",
        type=Path,
        required=True,
        help="writes model/fraud.onnx, metadata.json and model_card.json",
    )
    parser.add_argument("--max-iter", type=int, default=150, help="boosting iterations")
    parser.add_argument(
        "--test-fraction", type=float, default=0.2, help="later share of rows held out"
    )
    args = parser.parse_args(argv)
    data = args.data or args.data_folder
    if data is None:
        parser.error("give the data folder (positional or --data)")
    try:
        transactions_csv, identities_csv = find_training_files(data)
    except FileNotFoundError as error:
        parser.error(str(error))
    report = train(
        transactions_csv,
        identities_csv,
        args.model_dir,
        max_iter=args.max_iter,
        test_fraction=args.test_fraction,
    )
    auc = "n/a (one class in the test rows)" if report.auc is None else f"{report.auc:.4f}"
    print(f"rows: {report.rows} (train {report.train_rows}, test {report.test_rows})")
    print(f"AUC on the later {report.test_rows} rows: {auc}")
    print(f"ONNX vs sklearn max probability difference: {report.max_probability_diff:.2g}")
    print(f"wrote {report.onnx_path}, {report.metadata_path} and {report.card_path}")
    print(f"seconds: {report.seconds:.1f}")


if __name__ == "__main__":
    main()
