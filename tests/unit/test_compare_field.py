"""`ccflink compare` without --field compares the model's output, or asks which column to use."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from emulator.cli.compare import add_arguments, cmd_compare

PREDICTIONS = [  # the demo's output table
    {"TransactionID": 1, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.1},
    {"TransactionID": 2, "isFraud": 1, "predicted_fraud": 1, "fraud_probability": 0.9},
    {"TransactionID": 3, "isFraud": 0, "predicted_fraud": 1, "fraud_probability": 0.6},
]


def write(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


def renamed(rows: list[dict], old: str, new: str) -> list[dict]:
    return [{(new if k == old else k): v for k, v in row.items()} for row in rows]


def run(argv: list[str]) -> tuple[int, dict]:
    out = io.StringIO()
    args = add_arguments(argparse.ArgumentParser()).parse_args([*argv, "--json"])
    status = cmd_compare(None, args, out)
    return status, json.loads(out.getvalue()) if out.getvalue() else {}


def test_the_demos_prediction_column_by_default(tmp_path: Path) -> None:
    """Both sides have the labels and the predictions: the predictions are compared."""
    cloud = [dict(row) for row in PREDICTIONS]
    cloud[2]["predicted_fraud"] = 0  # the labels agree everywhere, the predictions do not
    argv = ["--local", write(tmp_path / "l.jsonl", PREDICTIONS)]
    status, report = run([*argv, "--cloud", write(tmp_path / "c.jsonl", cloud)])
    assert (report["field"], report["cloud_field"]) == ("predicted_fraud", "predicted_fraud")
    assert report["agreements"] == 2 and status == 1
    assert report["field_reason"] == "the default 'predicted_fraud' is on both sides"


def test_the_one_column_named_differently_is_compared(tmp_path: Path) -> None:
    """The cloud statement calls the model's output `prediction`."""
    cloud = renamed(PREDICTIONS, "predicted_fraud", "prediction")
    cloud[0]["prediction"] = 1
    local = write(tmp_path / "l.jsonl", PREDICTIONS)
    cloud_file = write(tmp_path / "c.jsonl", cloud)
    status, report = run(["--local", local, "--cloud", cloud_file])
    assert (report["field"], report["cloud_field"]) == ("predicted_fraud", "prediction")
    assert report["mismatches"] == [{"key": 1, "local": 0, "cloud": 1}] and status == 1
    assert report["field_reason"] == "the only column whose name differs between the sides"
    assert "prediction" not in {n["field"] for n in report["numeric"]}

    out = io.StringIO()
    args = add_arguments(argparse.ArgumentParser()).parse_args(
        ["--local", local, "--cloud", cloud_file]
    )
    cmd_compare(None, args, out)
    text = out.getvalue()
    assert text.startswith("Comparing local 'predicted_fraud' with cloud 'prediction' on key")
    assert "(no --field given: the only column whose name differs between the sides)" in text


def test_the_seeds_labels_when_they_are_all_both_sides_share(tmp_path: Path) -> None:
    """Predictions against a cloud export of the seed (`transactions`): `isFraud` is compared."""
    seed = [
        {"TransactionID": row["TransactionID"], "isFraud": row["isFraud"], "TransactionAmt": 9.5}
        for row in PREDICTIONS
    ]
    argv = ["--local", write(tmp_path / "l.jsonl", PREDICTIONS)]
    status, report = run([*argv, "--cloud", write(tmp_path / "c.jsonl", seed)])
    assert (report["field"], report["cloud_field"]) == ("isFraud", "isFraud")
    assert report["field_reason"] == "the only column both sides have besides 'TransactionID'"
    assert report["agreement"] == 1.0 and status == 0


def test_another_pipelines_one_shared_column(tmp_path: Path) -> None:
    local = [{"order_id": i, "late": i % 2, "eta": i / 4} for i in range(4)]
    cloud = [{"order_id": i, "late": 1} for i in range(4)]
    argv = ["--key", "order_id", "--local", write(tmp_path / "l.jsonl", local)]
    status, report = run([*argv, "--cloud", write(tmp_path / "c.jsonl", cloud)])
    assert report["field"] == "late" and report["agreements"] == 2 and status == 1


def test_ambiguous_columns_are_listed_and_the_user_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    local = [{"order_id": 1, "late": 0, "eta": 0.5}]
    cloud = [{"order_id": 1, "late": 0, "delay": 3}]
    argv = ["--key", "order_id", "--local", write(tmp_path / "l.jsonl", local)]
    status, report = run([*argv, "--cloud", write(tmp_path / "c.jsonl", cloud)])
    assert status == 2 and report == {}
    error = capsys.readouterr().err
    for part in ("both sides have [late]", "only local [eta]", "only cloud [delay]", "--field"):
        assert part in error, part


def test_a_named_pair_and_a_missing_column(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    cloud = renamed(PREDICTIONS, "predicted_fraud", "prediction")
    cloud[1]["prediction"] = 0
    files = ["--local", write(tmp_path / "l.jsonl", PREDICTIONS)]
    files += ["--cloud", write(tmp_path / "c.jsonl", cloud)]
    status, report = run([*files, "--field", "predicted_fraud=prediction"])
    assert report["mismatches"] == [{"key": 2, "local": 1, "cloud": 0}]
    assert report["field_reason"] is None and status == 1

    status, _ = run([*files, "--field", "predicted_fruad"])
    assert status == 2
    assert "the local rows have no column 'predicted_fruad'" in capsys.readouterr().err


def test_an_empty_export_is_a_report_not_a_question(tmp_path: Path) -> None:
    """The cloud topic was empty: nothing matched (exit 1), the default column is named."""
    argv = ["--local", write(tmp_path / "l.jsonl", PREDICTIONS)]
    status, report = run([*argv, "--cloud", write(tmp_path / "cloud.txt", [])])
    assert status == 1 and report["matched"] == 0 and report["field"] == "predicted_fraud"
    assert report["field_reason"] == "one side has no rows to choose a column from"
