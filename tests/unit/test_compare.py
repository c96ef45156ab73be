"""`ccflink compare`: each file format, normalisation, duplicates, the report, exit status."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import ClassVar

import fastavro
import pytest

from common.errors import CcflinkError
from emulator import topic_reader
from emulator.cli.compare import add_arguments, cmd_compare
from emulator.results.consume_output import parse_line
from emulator.results.diff import ComparisonReport, compare
from emulator.results.diff_json import report_json
from emulator.results.diff_text import format_report
from emulator.results.exports import ExportError
from emulator.results.files import detect_format, load_file
from emulator.results.sources import SourceNotFound, load_rows
from emulator.results.topic import load_topic
from emulator.results.values import normalise

SCHEMA = {
    "type": "record",
    "name": "fraud_predictions_value",
    "namespace": "org.apache.flink.avro.generated.record",
    "fields": [
        {"name": "TransactionID", "type": "long"},
        {"name": "isFraud", "type": ["null", "int"], "default": None},
        {"name": "predicted_fraud", "type": ["null", "int"], "default": None},
        {"name": "fraud_probability", "type": ["null", "double"], "default": None},
    ],
}

ROWS = [
    {"TransactionID": 1, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.1},
    {"TransactionID": 2, "isFraud": 1, "predicted_fraud": 1, "fraud_probability": 0.9},
    {"TransactionID": 3, "isFraud": 0, "predicted_fraud": 1, "fraud_probability": 0.6},
]


def write_avro(path: Path, rows: list[dict]) -> Path:
    with path.open("wb") as handle:
        fastavro.writer(handle, fastavro.parse_schema(SCHEMA), rows)
    return path


def write_csv(path: Path, rows: list[dict]) -> Path:
    columns = list(rows[0])
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join("" if row[c] is None else str(row[c]) for c in columns))
    path.write_text("\n".join(lines) + "\n")
    return path


# --------------------------------------------------------------------------- loaders


def test_json_lines_plain_objects(tmp_path: Path) -> None:
    path = tmp_path / "cloud.json"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n\n")
    assert load_file(path) == ROWS


def test_json_lines_key_tab_value(tmp_path: Path) -> None:
    """`confluent kafka topic consume --print-key`: key, a tab, then the value."""
    path = tmp_path / "consume.txt"
    path.write_text(
        '{"TransactionID":1}\t{"isFraud":0,"predicted_fraud":0,"fraud_probability":0.1}\n'
        '2\t{"isFraud":1,"predicted_fraud":1,"fraud_probability":0.9}\n'
        'null\t{"TransactionID":3,"isFraud":0}\n'
    )
    rows = load_file(path, key="TransactionID")
    assert rows[0] == {"TransactionID": 1, "isFraud": 0, "predicted_fraud": 0,
                       "fraud_probability": 0.1}  # fmt: skip
    assert rows[1]["TransactionID"] == 2  # a scalar key fills the missing key column
    assert rows[2] == {"TransactionID": 3, "isFraud": 0}


def test_json_lines_wrapper_and_avro_unions(tmp_path: Path) -> None:
    path = tmp_path / "wrapped.jsonl"
    lines = [
        {"key": None, "value": {"TransactionID": 1, "isFraud": {"int": 1}}, "partition": 0},
        {"key": {"TransactionID": 2}, "value": json.dumps({"isFraud": 0}), "offset": 7},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert load_file(path) == [
        {"TransactionID": 1, "isFraud": 1},
        {"isFraud": 0, "TransactionID": 2},
    ]


def test_json_lines_value_wins_over_key_and_bad_line_names_line(tmp_path: Path) -> None:
    assert parse_line('{"TransactionID": 9}\t{"TransactionID": 1}') == {"TransactionID": 1}
    path = tmp_path / "bad.jsonl"
    path.write_text('{"TransactionID": 1}\nnot json\n')
    with pytest.raises(ExportError, match=r"bad\.jsonl:2"):
        load_file(path)


def test_a_row_named_value_is_not_taken_for_a_wrapper() -> None:
    row = parse_line('{"value": 3, "TransactionID": 1}')
    assert row == {"value": 3, "TransactionID": 1}


def test_csv(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cloud.csv", [*ROWS, {**ROWS[0], "TransactionID": 4,
                                                      "isFraud": None}])  # fmt: skip
    rows = load_file(path)
    assert rows[0] == {"TransactionID": "1", "isFraud": "0", "predicted_fraud": "0",
                       "fraud_probability": "0.1"}  # fmt: skip
    assert rows[3]["isFraud"] is None


def test_avro_container(tmp_path: Path) -> None:
    path = write_avro(tmp_path / "cloud.avro", ROWS)
    assert load_file(path) == ROWS


def test_format_detection_without_extension(tmp_path: Path) -> None:
    avro = write_avro(tmp_path / "a", ROWS)
    jsonl = tmp_path / "j"
    jsonl.write_text(json.dumps(ROWS[0]) + "\n")
    csv_file = write_csv(tmp_path / "c", ROWS)
    assert [detect_format(p) for p in (avro, jsonl, csv_file)] == ["avro", "jsonl", "csv"]
    assert load_file(avro) == ROWS
    garbled = tmp_path / "g.jsonl"
    garbled.write_text("{not json\n")
    assert detect_format(garbled) == "jsonl"  # the extension says lines, however they look


def test_load_rows_needs_a_cluster_for_a_topic() -> None:
    with pytest.raises(SourceNotFound, match="no cluster to read it as a topic"):
        load_rows("fraud_predictions_that_is_not_a_file")


def test_load_topic_reads_until_idle(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeReader:
        batches: ClassVar[list] = [
            [topic_reader.Record({"TransactionID": 1}, {"isFraud": 0}, 0, 0, 0)],
            [],
            [topic_reader.Record(None, {"TransactionID": 2, "isFraud": 1}, 0, 0, 1)],
        ]
        closed = False

        def __init__(self, bootstrap: str, registry: str, topic: str, **login: object) -> None:
            assert (bootstrap, registry, topic) == ("b:9092", "http://r:8081", "t")
            assert login == {
                "start_offsets": None,
                "security": {"sasl.username": "K"},
                "registry_auth": ("K", "S"),
            }

        def poll(self, timeout_ms: int = 1000) -> list:
            return self.batches.pop(0) if self.batches else []

        def close(self) -> None:
            FakeReader.closed = True

    monkeypatch.setattr(topic_reader, "AvroTopicReader", FakeReader)
    rows = load_topic(
        "t",
        "b:9092",
        "http://r:8081",
        idle_seconds=0.05,
        security={"sasl.username": "K"},
        registry_auth=("K", "S"),
    )
    assert rows == [{"isFraud": 0, "TransactionID": 1}, {"TransactionID": 2, "isFraud": 1}]
    assert FakeReader.closed


# --------------------------------------------------------------------------- comparison


def test_normalise() -> None:
    assert normalise(0) == normalise(0.0) == normalise("0") == normalise(False)
    assert normalise(" 1.0 ") == 1 and isinstance(normalise("1.0"), int)
    assert normalise("true") == 1
    assert normalise("0.25") == 0.25
    for null in (None, "", "null", "NULL", "None", float("nan")):
        assert normalise(null) is None
    assert normalise("T-1") == "T-1"


def test_identical_sides_across_formats(tmp_path: Path) -> None:
    local = load_file(write_avro(tmp_path / "local.avro", ROWS))
    cloud = load_file(write_csv(tmp_path / "cloud.csv", ROWS))
    report = compare(local, cloud, "TransactionID", "isFraud")
    assert (report.matched, report.only_local, report.only_cloud) == (3, 0, 0)
    assert report.agreement == 1.0
    assert report.confusion == {(0, 0): 2, (1, 1): 1}
    assert report.mismatches == []
    probability = next(n for n in report.numeric if n.field == "fraud_probability")
    assert probability.max_abs_diff == 0 and probability.largest == []


def test_mismatches_only_one_side_and_numeric_differences() -> None:
    local = [
        {"TransactionID": 1, "predicted_fraud": 0, "fraud_probability": 0.10},
        {"TransactionID": 2, "predicted_fraud": 1, "fraud_probability": 0.90},
        {"TransactionID": 3, "predicted_fraud": 1, "fraud_probability": 0.55},
        {"TransactionID": 4, "predicted_fraud": 0, "fraud_probability": 0.20},
    ]
    cloud = [
        {"TransactionID": "1", "predicted_fraud": "0", "fraud_probability": "0.1"},
        {"TransactionID": "2.0", "predicted_fraud": 1.0, "fraud_probability": 0.80},
        {"TransactionID": 3, "predicted_fraud": 0, "fraud_probability": 0.45},
        {"TransactionID": 5, "predicted_fraud": 0, "fraud_probability": 0.30},
    ]
    report = compare(local, cloud, "TransactionID", "predicted_fraud")
    assert (report.matched, report.only_local, report.only_cloud) == (3, 1, 1)
    assert report.only_local_examples == [4] and report.only_cloud_examples == [5]
    assert report.agreements == 2
    assert report.agreement == pytest.approx(2 / 3)
    assert report.confusion == {(0, 0): 1, (1, 0): 1, (1, 1): 1}
    assert [(m.key, m.local, m.cloud) for m in report.mismatches] == [(3, 1, 0)]
    (probability,) = report.numeric
    assert probability.field == "fraud_probability"
    assert probability.compared == 3 and probability.differing == 2
    assert probability.max_abs_diff == pytest.approx(0.10)
    assert probability.mean_abs_diff == pytest.approx(0.20 / 3)
    assert {k for k, *_ in probability.largest} == {2, 3}  # both differ by 0.1
    assert not report.passes(0.99) and report.passes(0.6)


def test_duplicates_use_the_last_row_and_are_reported() -> None:
    local = [
        {"TransactionID": 1, "isFraud": 1},
        {"TransactionID": 1, "isFraud": 0},
        {"TransactionID": "1", "isFraud": 0},
        {"TransactionID": 2, "isFraud": 0},
    ]
    cloud = [{"TransactionID": 1, "isFraud": 0}, {"TransactionID": 2, "isFraud": 0}]
    report = compare(local, cloud, "TransactionID", "isFraud")
    assert report.local.rows == 4 and report.local.keys == 2
    assert report.local.duplicate_keys == 1 and report.local.duplicate_rows == 2
    assert report.local.duplicate_examples == [1]
    assert report.cloud.duplicate_keys == 0
    assert report.agreement == 1.0


def test_nulls_in_key_and_field() -> None:
    local = [
        {"TransactionID": None, "isFraud": 1},
        {"TransactionID": 1, "isFraud": None},
        {"TransactionID": 2, "isFraud": ""},
        {"TransactionID": 3, "isFraud": 1},
    ]
    cloud = [
        {"TransactionID": "", "isFraud": 1},
        {"TransactionID": 1, "isFraud": "null"},
        {"TransactionID": 2, "isFraud": 0},
        {"TransactionID": 3, "isFraud": "1"},
    ]
    report = compare(local, cloud, "TransactionID", "isFraud")
    assert report.local.missing_key == 1 and report.cloud.missing_key == 1
    assert report.local.field_nulls == 2 and report.cloud.field_nulls == 1
    assert report.matched == 3 and report.agreements == 2  # null == null agrees
    assert report.confusion == {(None, None): 1, (None, 0): 1, (1, 1): 1}
    text = format_report(report)
    assert "null" in text
    data = report_roundtrip(report)
    assert data["confusion"]["local_labels"] == [None, 1]
    assert data["confusion"]["cloud_labels"] == [None, 0, 1]
    assert data["confusion"]["matrix"] == [[1, 1, 0], [0, 0, 1]]


def report_roundtrip(report: ComparisonReport) -> dict:
    return json.loads(json.dumps(report_json(report, 0.99)))


def test_non_numeric_columns_are_counted() -> None:
    local = [{"TransactionID": 1, "isFraud": 0, "model": "v1"}]
    cloud = [{"TransactionID": 1, "isFraud": 0, "model": "v2"}]
    report = compare(local, cloud, "TransactionID", "isFraud")
    assert report.other_differences == {"model": 1}
    assert report.numeric == []


def test_nothing_matched_fails() -> None:
    report = compare([{"TransactionID": 1, "isFraud": 0}], [], "TransactionID", "isFraud")
    assert report.agreement is None and not report.passes(0.0)
    assert "n/a" in format_report(report)
    assert report_json(report)["agreement"] is None


def test_format_report_shows_the_sections() -> None:
    local = [{"TransactionID": i, "isFraud": i % 2, "fraud_probability": i / 10} for i in range(5)]
    cloud = [{"TransactionID": i, "isFraud": 0, "fraud_probability": 0.0} for i in range(1, 6)]
    text = format_report(compare(local, cloud, "TransactionID", "isFraud"), min_agreement=0.99)
    for part in (
        "rows read",
        "only local: 0",
        "only cloud: 5",
        "agreement: 50.0000%",
        "FAIL",
        "local \\ cloud",
        "first mismatching keys (2 in all)",
        "largest differences in fraud_probability",
    ):
        assert part in text, part


# --------------------------------------------------------------------------- command line


def run(argv: list[str], out: io.StringIO) -> int:
    """`ccflink compare ARGV` on files (no cluster settings needed)."""
    return cmd_compare(None, add_arguments(argparse.ArgumentParser()).parse_args(argv), out)


def test_run_exit_status_and_json(tmp_path: Path) -> None:
    local = write_avro(tmp_path / "local.avro", ROWS)
    cloud_rows = [dict(r) for r in ROWS]
    cloud_rows[2]["predicted_fraud"] = 0
    cloud = tmp_path / "cloud.json"
    cloud.write_text("\n".join(json.dumps(r) for r in cloud_rows) + "\n")

    out = io.StringIO()
    status = run(["--local", str(local), "--cloud", str(cloud), "--json"], out=out)
    data = json.loads(out.getvalue())
    assert status == 1
    assert data["matched"] == 3 and data["agreement"] == pytest.approx(2 / 3)
    assert data["passed"] is False
    assert data["mismatches"] == [{"key": 3, "local": 1, "cloud": 0}]

    out = io.StringIO()
    argv = ["--local", str(local), "--cloud", str(cloud), "--min-agreement", "0.6"]
    assert run(argv, out=out) == 0
    assert "PASS" in out.getvalue()

    out = io.StringIO()
    argv = ["--local", str(local), "--cloud", str(cloud), "--field", "isFraud"]
    assert run(argv, out=out) == 0


def test_run_unreadable_input_is_status_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("[1, 2]\n")
    argv = ["--local", str(bad), "--cloud", str(bad), "--local-format", "jsonl"]
    assert run(argv, out=io.StringIO()) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


def test_the_errors_are_ccflink_errors() -> None:
    assert issubclass(ExportError, CcflinkError) and issubclass(SourceNotFound, CcflinkError)


def test_defaults_are_the_demo_names_and_other_names_work(tmp_path: Path) -> None:
    """The README's `ccflink compare` names nothing; another pipeline passes its own names."""
    defaults = add_arguments(argparse.ArgumentParser()).parse_args(["--local", "a", "--cloud", "b"])
    assert (defaults.key, defaults.field) == ("TransactionID", None)  # chosen from the rows

    local = tmp_path / "local.jsonl"
    cloud = tmp_path / "cloud.csv"
    local.write_text(
        "\n".join(json.dumps({"order_id": i, "late": i % 2, "eta": i / 4}) for i in range(4)) + "\n"
    )
    cloud.write_text("order_id,late,eta\n0,0,0\n1,1,0.25\n2,1,0.5\n3,1,0.75\n")
    out = io.StringIO()
    argv = ["--local", str(local), "--cloud", str(cloud), "--key", "order_id", "--field", "late"]
    assert run([*argv, "--json"], out=out) == 1
    data = json.loads(out.getvalue())
    assert (data["key"], data["field"]) == ("order_id", "late")
    assert data["matched"] == 4 and data["agreements"] == 3
    assert data["mismatches"] == [{"key": 2, "local": 0, "cloud": 1}]
    assert data["local"]["missing_key"] == 0 and data["local"]["field_nulls"] == 0
    assert [n["field"] for n in data["numeric"]] == ["eta"]
