"""The synthetic IEEE-CIS twin: Kaggle's file layout, its structure, and the planted signal."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from common.ieee_cis import IDENTITY_HEADER, TRANSACTION_HEADER
from model_server.features import CATEGORICAL_FEATURES, NUMERIC_FEATURES
from producers.synthetic import GeneratedFiles, format_floats, generate
from producers.synthetic import files as synthetic_files
from producers.synthetic.cli import main
from producers.synthetic.files import GenerateError

ROWS = 20_000
INT_COLUMNS = ("TransactionID", "isFraud", "TransactionDT", "card1")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> GeneratedFiles:
    return generate(ROWS, tmp_path_factory.mktemp("synthetic"), seed=42)


@pytest.fixture(scope="module")
def tx(files: GeneratedFiles) -> pd.DataFrame:
    return pd.read_csv(files.transaction_path)


@pytest.fixture(scope="module")
def ident(files: GeneratedFiles) -> pd.DataFrame:
    return pd.read_csv(files.identity_path)


@pytest.fixture(scope="module")
def raw_rows(files: GeneratedFiles) -> list[dict[str, str]]:
    with files.transaction_path.open(newline="") as f:
        return list(csv.DictReader(f))[:3000]


def _bytes(directory: Path) -> tuple[bytes, bytes]:
    return (
        (directory / "train_transaction.csv").read_bytes(),
        (directory / "train_identity.csv").read_bytes(),
    )


# --- layout ---------------------------------------------------------------------------------


def test_headers_are_kaggles(files: GeneratedFiles, tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    with files.transaction_path.open() as f:
        assert f.readline().rstrip("\n") == ",".join(TRANSACTION_HEADER)
    with files.identity_path.open() as f:
        assert f.readline().rstrip("\n") == ",".join(IDENTITY_HEADER)
    assert list(tx.columns) == TRANSACTION_HEADER
    assert list(ident.columns) == IDENTITY_HEADER


def test_pandas_dtypes_match_the_real_files(tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    assert tx.dtypes.value_counts().to_dict() == {
        np.dtype("float64"): 376,
        np.dtype("int64"): 4,
        np.dtype("O"): 14,
    }
    assert ident.dtypes.value_counts().to_dict() == {
        np.dtype("float64"): 23,
        np.dtype("int64"): 1,
        np.dtype("O"): 17,
    }


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        generate(2_000, tmp_path / name, seed=seed)
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    other = _bytes(tmp_path / "c")
    assert other[0] != _bytes(tmp_path / "a")[0]
    assert other[1] != _bytes(tmp_path / "a")[1]


def test_ids_consecutive_and_time_non_decreasing(tx: pd.DataFrame) -> None:
    assert (tx.TransactionID.to_numpy() == 2_987_000 + np.arange(ROWS)).all()
    dt = tx.TransactionDT.to_numpy()
    assert dt[0] == 86_400
    assert (np.diff(dt) >= 0).all()
    assert 20 < (dt[-1] - dt[0]) / (ROWS - 1) < 35  # about 3.2k transactions a day


def test_identity_rows_follow_their_transactions(tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    ids = ident.TransactionID.to_numpy()
    assert (np.diff(ids) > 0).all()
    assert np.isin(ids, tx.TransactionID).all()


def test_summary_counts(files: GeneratedFiles, tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    assert (files.transactions, files.identities, files.frauds) == (
        len(tx),
        len(ident),
        int(tx.isFraud.sum()),
    )


def test_format_floats_like_kaggle() -> None:
    values = np.array([1.0, 150.0, -480.0, np.nan, 75.887, 1e6, 0.0])
    expected = ["1.0", "150.0", "-480.0", "", "75.887", "1000000.0", "0.0"]
    assert format_floats(values).tolist() == expected
    assert format_floats(values.reshape(7, 1)).shape == (7, 1)


def test_csv_cells_are_formatted_like_kaggle(raw_rows: list[dict[str, str]]) -> None:
    for name in INT_COLUMNS:
        assert all(re.fullmatch(r"\d+", r[name]) for r in raw_rows), name
    for name in ("card2", "C1", "D1", "V1", "dist1"):
        cells = [r[name] for r in raw_rows if r[name]]
        assert cells and all(re.fullmatch(r"-?\d+\.\d+", c) for c in cells), name
    assert all(r["C1"].endswith(".0") for r in raw_rows)
    assert any(r["dist1"] == "" for r in raw_rows)
    amounts = [r["TransactionAmt"] for r in raw_rows]
    assert all(re.fullmatch(r"\d+\.\d{1,3}", a) for a in amounts)
    three = [len(r["TransactionAmt"].split(".")[1]) == 3 for r in raw_rows if r["ProductCD"] == "C"]
    assert np.mean(three) > 0.6


# --- marginals and structure ----------------------------------------------------------------


def test_fraud_rate_identity_coverage_and_products(tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    assert abs(tx.isFraud.mean() - 0.035) < 0.01
    has_identity = tx.TransactionID.isin(ident.TransactionID)
    assert abs(has_identity.mean() - 0.24) < 0.04
    assert not has_identity[tx.ProductCD == "W"].any()
    assert has_identity[tx.ProductCD != "W"].mean() > 0.9
    shares = tx.ProductCD.value_counts(normalize=True)
    assert abs(shares["W"] - 0.7445) < 0.04
    assert set(shares.index) == {"W", "C", "R", "H", "S"}
    rates = tx.groupby("ProductCD").isFraud.mean()
    assert rates["C"] > 0.08 and rates["W"] < 0.03


def test_distances_are_exclusive_by_product(tx: pd.DataFrame) -> None:
    assert not (tx.dist1.notna() & tx.dist2.notna()).any()
    assert (tx.ProductCD[tx.dist1.notna()] == "W").all()
    assert (tx.ProductCD[tx.dist2.notna()] != "W").all()
    assert tx.dist1.notna().any() and tx.dist2.notna().any()


def test_addresses_missing_together_mostly_for_c(tx: pd.DataFrame) -> None:
    missing = tx.addr1.isna()
    assert (missing == tx.addr2.isna()).all()
    assert abs(missing.mean() - 0.111) < 0.03
    assert (tx.ProductCD[missing] == "C").mean() > 0.9


# Real V NaN blocks: (first, last, missing rate).
V_BLOCKS = [
    (1, 11, 0.473),
    (12, 34, 0.129),
    (35, 52, 0.286),
    (53, 74, 0.131),
    (75, 94, 0.151),
    (95, 137, 0.0005),
    (138, 166, 0.861),
    (167, 216, 0.764),
    (322, 339, 0.861),
]


@pytest.mark.parametrize(("first", "last", "rate"), V_BLOCKS)
def test_v_blocks_missing_together(tx: pd.DataFrame, first: int, last: int, rate: float) -> None:
    missing = tx[[f"V{i}" for i in range(first, last + 1)]].isna().to_numpy()
    assert (missing == missing[:, :1]).all()
    assert abs(missing[:, 0].mean() - rate) < 0.04


def test_v_values_are_small_counts_where_counts(tx: pd.DataFrame) -> None:
    counts = tx[[f"V{i}" for i in range(1, 95)]].stack()
    assert (counts == counts.round()).all()
    assert counts.between(0, 20).all()
    assert counts.mode()[0] == 1.0


@pytest.mark.parametrize(
    "group",
    [
        ["D8", "D9"],
        ["M1", "M2", "M3"],
        ["M7", "M8", "M9"],
        ["D11", "V1"],
        ["D15", "V75"],
    ],
)
def test_transaction_columns_missing_together(tx: pd.DataFrame, group: list[str]) -> None:
    missing = tx[group].isna().to_numpy()
    assert (missing == missing[:, :1]).all()
    assert 0.0 < missing[:, 0].mean() < 1.0


@pytest.mark.parametrize(
    "group",
    [
        ["id_03", "id_04"],
        ["id_05", "id_06"],
        ["id_07", "id_08", "id_21", "id_22", "id_23", "id_24", "id_25", "id_26", "id_27"],
        ["id_09", "id_10"],
        ["id_30", "id_32", "id_34"],
        ["id_11", "id_15", "id_28", "id_29", "id_35", "id_36", "id_37", "id_38"],
    ],
)
def test_identity_columns_missing_together(ident: pd.DataFrame, group: list[str]) -> None:
    missing = ident[group].isna().to_numpy()
    assert (missing == missing[:, :1]).all()
    assert 0.0 < missing[:, 0].mean() < 1.0


def test_d9_is_the_hour_fraction_of_d8(tx: pd.DataFrame) -> None:
    both = tx[["D8", "D9"]].dropna()
    assert np.allclose(both.D8 - np.floor(both.D8), both.D9, atol=1e-6)
    assert set(np.round(both.D9 * 24, 6)) <= set(range(24))


CATEGORIES = {
    "card4": {"visa", "mastercard", "american express", "discover"},
    "card6": {"debit", "credit", "debit or credit", "charge card"},
    "M1": {"T", "F"},
    "M4": {"M0", "M1", "M2"},
    "M6": {"T", "F"},
}
IDENTITY_CATEGORIES = {
    "DeviceType": {"desktop", "mobile"},
    "id_12": {"Found", "NotFound"},
    "id_15": {"Found", "New", "Unknown"},
    "id_16": {"Found", "NotFound"},
    "id_28": {"Found", "New"},
    "id_29": {"Found", "NotFound"},
    "id_35": {"T", "F"},
    "id_38": {"T", "F"},
}


def test_categorical_domains(tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    for frame, domains in ((tx, CATEGORIES), (ident, IDENTITY_CATEGORIES)):
        for name, domain in domains.items():
            assert set(frame[name].dropna()) <= domain, name
    assert tx.P_emaildomain.value_counts().index[0] == "gmail.com"
    assert abs(tx.P_emaildomain.isna().mean() - 0.16) < 0.03
    assert {"Windows", "iOS Device", "MacOS"} <= set(ident.DeviceInfo.dropna())
    assert ident.id_30.str.startswith(("Windows", "iOS", "Mac OS X", "Android", "Linux")).all()


# --- clients and signal ---------------------------------------------------------------------


def _client_keys(tx: pd.DataFrame) -> pd.Series:
    """The winners' 'uid': card1, addr1 and the account start day (day - D1)."""
    start = tx.TransactionDT // 86_400 - tx.D1
    return tx.card1.astype(str) + "_" + tx.addr1.astype(str) + "_" + start.astype(str)


def test_clients_stay_fraud_after_their_first_fraud(tx: pd.DataFrame) -> None:
    known = tx[tx.D1.notna()].assign(uid=_client_keys)
    after_first = known.groupby("uid").isFraud.cummax()
    assert (known.isFraud == after_first).all()
    per_client = known.groupby("uid").isFraud.agg(["min", "max", "size"])
    assert (per_client["size"] > 1).sum() > 1_000
    assert ((per_client["min"] == 0) & (per_client["max"] == 1)).any()
    assert (per_client["min"] == 1).sum() > 50


def test_clients_keep_their_email(tx: pd.DataFrame) -> None:
    known = tx[tx.D1.notna()].assign(uid=_client_keys)
    assert (known.groupby("uid").P_emaildomain.nunique(dropna=False) == 1).all()


def test_fraud_leans_on_the_planted_signals(tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    rate = tx.groupby("card6").isFraud.mean()
    assert rate["credit"] > 1.3 * rate["debit"]
    joined = tx.merge(ident, on="TransactionID")
    new_device = joined.groupby("id_15").isFraud.mean()
    assert new_device["New"] > 1.5 * new_device["Found"]
    many_addresses = (tx.C1 >= 3).groupby(tx.isFraud).mean()
    assert many_addresses[1] > 1.3 * many_addresses[0]


def test_a_boosted_model_learns_but_not_perfectly(tx: pd.DataFrame, ident: pd.DataFrame) -> None:
    frame = tx.merge(ident, on="TransactionID", how="left")
    numeric = [c for c in NUMERIC_FEATURES if c in frame.columns]
    x = frame[numeric].copy()
    for name in CATEGORICAL_FEATURES:
        x[name] = frame[name].astype("category").cat.codes
    cut = int(len(x) * 0.7)
    model = HistGradientBoostingClassifier(max_iter=150, random_state=0)
    model.fit(x.iloc[:cut], frame.isFraud.iloc[:cut])
    auc = roc_auc_score(frame.isFraud.iloc[cut:], model.predict_proba(x.iloc[cut:])[:, 1])
    assert 0.75 < auc < 0.97


# --- API ------------------------------------------------------------------------------------


def test_progress_reports_rows_after_each_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(synthetic_files, "CHUNK_ROWS", 500)
    done: list[int] = []
    generate(1_200, tmp_path, seed=1, progress=done.append)
    assert done == [500, 1_000, 1_200]
    assert len(pd.read_csv(tmp_path / "train_transaction.csv")) == 1_200


def test_rejects_no_rows(tmp_path: Path) -> None:
    with pytest.raises(GenerateError, match="rows"):
        generate(0, tmp_path)


def test_cli_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--rows", "300", "--out", str(tmp_path), "--seed", "3"])
    assert "300 transactions" in capsys.readouterr().out
    assert (tmp_path / "train_transaction.csv").exists()
    assert (tmp_path / "train_identity.csv").exists()
