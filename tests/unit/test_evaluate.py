"""Stream quality metrics (ML_EVALUATE's Accuracy, Precision, Recall, F1, plus AUC) by hand."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from emulator import topic_reader
from emulator.cli.evaluate import add_arguments, cmd_evaluate
from emulator.results.metrics import auc_score, evaluate
from emulator.results.metrics_text import format_metrics
from emulator.topic_reader import TopicNotFound

# (isFraud, predicted_fraud, fraud_probability, model version)
TABLE = [
    (1, 1, 0.9, 1),
    (1, 0, 0.4, 1),
    (0, 1, 0.6, 1),
    (0, 0, 0.2, 1),
    (0, 0, 0.4, 2),  # ties with the fraud at 0.4
    (1, 1, 0.8, 2),
    (0, 1, 0.7, 2),
]
ROWS = [
    {"isFraud": y, "predicted_fraud": p, "fraud_probability": s, "model_version": v}
    for y, p, s, v in TABLE
]
COLUMNS = {"label": "isFraud", "prediction": "predicted_fraud", "probability": "fraud_probability"}


def run(argv: list[str], out: io.StringIO) -> int:
    """`ccflink evaluate ARGV` on a file (no cluster settings needed)."""
    return cmd_evaluate(None, add_arguments(argparse.ArgumentParser()).parse_args(argv), out)


def test_overall_by_hand() -> None:
    (name, m), *_ = evaluate(ROWS, **COLUMNS).items()
    assert name == "all"
    assert (m.tp, m.fp, m.tn, m.fn, m.rows, m.skipped) == (2, 2, 2, 1, 7, 0)
    assert m.accuracy == pytest.approx(4 / 7)
    assert m.precision == pytest.approx(2 / 4)
    assert m.recall == pytest.approx(2 / 3)
    assert m.f1 == pytest.approx(4 / 7)  # 2*TP / (2*TP + FP + FN)
    # positive/negative pairs ranked right: 0.9 and 0.8 beat all 4 negatives; 0.4 beats 0.2
    # and ties 0.4 (half) -> 9.5 of 12
    assert m.auc == pytest.approx(9.5 / 12)


def test_matches_sklearn() -> None:
    m = evaluate(ROWS, **COLUMNS)["all"]
    y = [r[0] for r in TABLE]
    p = [r[1] for r in TABLE]
    s = [r[2] for r in TABLE]
    assert m.accuracy == pytest.approx(accuracy_score(y, p))
    assert m.precision == pytest.approx(precision_score(y, p))
    assert m.recall == pytest.approx(recall_score(y, p))
    assert m.f1 == pytest.approx(f1_score(y, p))
    assert m.auc == pytest.approx(roc_auc_score(y, s))


def test_per_version_by_hand() -> None:
    metrics = evaluate(ROWS, version_field="model_version", **COLUMNS)
    assert list(metrics) == ["1", "2"]
    v1, v2 = metrics["1"], metrics["2"]
    assert (v1.accuracy, v1.precision, v1.recall, v1.f1) == (0.5, 0.5, 0.5, 0.5)
    assert v1.auc == pytest.approx(3 / 4)
    assert v2.accuracy == pytest.approx(2 / 3)
    assert v2.precision == pytest.approx(1 / 2)
    assert v2.recall == 1.0
    assert v2.f1 == pytest.approx(2 / 3)
    assert v2.auc == 1.0


def test_normalised_values_nulls_and_one_class() -> None:
    rows = [
        {"isFraud": "0", "predicted_fraud": 0.0, "fraud_probability": "0.1"},
        {"isFraud": False, "predicted_fraud": "1", "fraud_probability": 0.7},
        {"isFraud": None, "predicted_fraud": 1, "fraud_probability": 0.9},
        {"isFraud": 0, "predicted_fraud": None, "fraud_probability": 0.3},
        {"isFraud": 2, "predicted_fraud": 1, "fraud_probability": 0.3},
    ]
    m = evaluate(rows, **COLUMNS)["all"]
    assert (m.rows, m.skipped, m.tn, m.fp) == (2, 3, 1, 1)
    assert m.accuracy == 0.5
    assert m.precision == 0.0 and m.recall == 0.0 and m.f1 == 0.0  # zero_division = 0
    assert m.auc is None  # no fraud among the labelled rows
    assert m.auc_rows == 3


def test_versions_with_nulls_and_numbers_sort() -> None:
    rows = [{**ROWS[0], "v": v} for v in (10, 2, None, "2.0")]
    assert list(evaluate(rows, version_field="v", **COLUMNS)) == ["2", "10", "null"]


def test_auc_ties_and_edge_cases() -> None:
    assert auc_score([0, 1], [0.5, 0.5]) == 0.5
    assert auc_score([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert auc_score([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4]) == 0.0
    assert auc_score([1, 1], [0.1, 0.2]) is None
    assert auc_score([], []) is None


def test_format_metrics_is_a_table_and_ml_evaluate_maps() -> None:
    text = format_metrics(evaluate(ROWS, "model_version", **COLUMNS))
    lines = text.splitlines()
    assert lines[0].split() == [
        "version", "rows", "Accuracy", "Precision", "Recall", "F1", "AUC", "TP", "FP", "TN", "FN"
    ]  # fmt: skip
    assert lines[2].split()[:7] == ["1", "4", "0.5000", "0.5000", "0.5000", "0.5000", "0.7500"]
    assert "1: {Accuracy=0.5000, Precision=0.5000, Recall=0.5000, F1=0.5000, AUC=0.7500}" in lines
    assert "AUC=1.0000}" in text
    one_class = evaluate(
        [{"isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.1}], **COLUMNS
    )
    assert "AUC=n/a" in format_metrics(one_class)


def test_run_on_a_file(tmp_path: Path) -> None:
    path = tmp_path / "predictions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    out = io.StringIO()
    assert run(["--input", str(path), "--version-field", "model_version", "--json"], out) == 0
    data = json.loads(out.getvalue())
    assert data["1"]["Accuracy"] == 0.5 and data["2"]["Recall"] == 1.0
    assert data["1"]["tp"] == 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert run(["--input", str(empty), "--format", "jsonl"], io.StringIO()) == 1


def test_defaults_are_the_demo_names() -> None:
    args = add_arguments(argparse.ArgumentParser()).parse_args([])
    assert (args.input, args.label, args.prediction, args.probability) == (
        "fraud_predictions",
        "isFraud",
        "predicted_fraud",
        "fraud_probability",
    )


def test_a_topic_and_columns_of_another_pipeline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    class FakeReader:
        """A topic `orders_scored` with two scored orders; no other topic exists."""

        closed = False

        def __init__(self, bootstrap: str, registry: str, topic: str, **login: object) -> None:
            assert (bootstrap, registry) == ("b:9092", "http://r:8081")
            assert login == {"start_offsets": None, "security": None, "registry_auth": None}
            if topic != "orders_scored":
                raise TopicNotFound(f"topic {topic!r} does not exist")
            value = {"late": 1, "late_hat": 1, "p": 0.8}
            self.batches = [
                [
                    topic_reader.Record({"order_id": 1}, value, 0, 0, 0),
                    topic_reader.Record({"order_id": 2}, {**value, "late": 0, "p": 0.3}, 0, 0, 1),
                ]
            ]

        def poll(self, timeout_ms: int = 1000) -> list:
            return self.batches.pop(0) if self.batches else []

        def close(self) -> None:
            FakeReader.closed = True

    monkeypatch.setattr(topic_reader, "AvroTopicReader", FakeReader)
    cluster = ["--bootstrap-servers", "b:9092", "--registry-url", "http://r:8081"]
    argv = [*cluster, "--idle-seconds", "0.05", "--input", "orders_scored"]
    columns = ["--label", "late", "--prediction", "late_hat", "--probability", "p"]
    out = io.StringIO()
    assert run([*argv, *columns, "--json"], out) == 0
    data = json.loads(out.getvalue())["all"]
    assert (data["tp"], data["fp"], data["tn"], data["fn"]) == (1, 1, 0, 0)
    assert data["Precision"] == 0.5 and data["AUC"] == 1.0
    assert FakeReader.closed

    assert run([*cluster, "--idle-seconds", "0.05"], io.StringIO()) == 2  # fraud_predictions
    assert "topic 'fraud_predictions' does not exist" in capsys.readouterr().err
