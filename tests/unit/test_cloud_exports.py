"""`ccflink compare` reads the cloud run's exports as the Confluent tools write them.

The fixtures (tests/fixtures/cloud_exports/; its README says where each shape comes from) hold
the same four predictions. The local run disagrees on one of them and has one more.
"""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import fastavro
import pytest

from emulator.cli.compare import add_arguments, cmd_compare
from emulator.results.consume_output import parse_line
from emulator.results.exports import ExportError
from emulator.results.files import detect_format, load_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cloud_exports"
CLOUD_ROWS = [
    {"TransactionID": 2987000, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.0213},
    {"TransactionID": 2987001, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.0871},
    {"TransactionID": 2987002, "isFraud": 1, "predicted_fraud": 1, "fraud_probability": 0.9342},
    {"TransactionID": 2987003, "isFraud": 0, "predicted_fraud": 1, "fraud_probability": 0.5517},
]
LOCAL_ROWS = [
    *CLOUD_ROWS[:3],
    {"TransactionID": 2987003, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.4480},
    {"TransactionID": 2987004, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.0102},
]
LOCAL_SCHEMA = {
    "type": "record",
    "name": "fraud_predictions_value",
    "fields": [
        {"name": "TransactionID", "type": "long"},
        {"name": "isFraud", "type": ["null", "int"]},
        {"name": "predicted_fraud", "type": ["null", "int"]},
        {"name": "fraud_probability", "type": ["null", "double"]},
    ],
}
# fixture, the `ccflink compare` flags it needs, the format `auto` must find
EXPORTS = [
    ("consume_keyless_offsets.txt", [], "jsonl"),
    ("consume_keyed_avro.txt", [], "jsonl"),
    ("consume_avro_json_v3.txt", [], "jsonl"),
    ("consume_delimiter_headers.txt", ["--delimiter", " | "], "jsonl"),
    ("console_messages.json", [], "json"),
    ("console_messages.csv", [], "csv"),
]


def local_predictions(tmp_path: Path) -> Path:
    """The local run, as an Avro container file (what the local topic holds)."""
    path = tmp_path / "local.avro"
    with path.open("wb") as handle:
        fastavro.writer(handle, fastavro.parse_schema(LOCAL_SCHEMA), LOCAL_ROWS)
    return path


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    status = cmd_compare(None, add_arguments(argparse.ArgumentParser()).parse_args(argv), out)
    return status, out.getvalue()


@pytest.mark.parametrize(("name", "flags", "fmt"), EXPORTS)
def test_each_export_is_detected_and_read_as_its_rows(
    name: str, flags: list[str], fmt: str
) -> None:
    path = FIXTURES / name
    assert detect_format(path) == fmt
    delimiter = flags[1] if flags else "\t"
    assert load_file(path, key="TransactionID", delimiter=delimiter) == CLOUD_ROWS


@pytest.mark.parametrize(("name", "flags", "fmt"), EXPORTS)
def test_compare_reports_each_export_correctly(
    tmp_path: Path, name: str, flags: list[str], fmt: str
) -> None:
    argv = ["--local", str(local_predictions(tmp_path)), "--cloud", str(FIXTURES / name), *flags]
    status, out = run([*argv, "--json"])
    report = json.loads(out)
    assert status == 1  # 3 of 4 agree: below the default 0.99
    assert (report["field"], report["cloud_field"]) == ("predicted_fraud", "predicted_fraud")
    assert (report["matched"], report["agreements"]) == (4, 3)
    assert (report["only_local"], report["only_cloud"]) == (1, 0)
    assert report["only_local_examples"] == [2987004]
    assert report["mismatches"] == [{"key": 2987003, "local": 0, "cloud": 1}]
    assert report["cloud"]["missing_key"] == 0 and report["cloud"]["field_nulls"] == 0
    numeric = {n["field"]: n for n in report["numeric"]}
    assert numeric["isFraud"]["differing"] == 0
    assert numeric["fraud_probability"]["differing"] == 1
    assert numeric["fraud_probability"]["max_abs_diff"] == pytest.approx(0.1037)

    status, out = run([*argv, "--min-agreement", "0.75"])
    assert status == 0 and "agreement: 75.0000%" in out and "PASS" in out


def test_the_clis_notes_and_metadata_are_not_messages() -> None:
    assert parse_line("% Error: -195: 1/1 brokers are down") is None
    assert parse_line('% Headers: [trace-id="1"]') is None
    line = 'Partition:2 Offset:17\t{"TransactionID":5,"predicted_fraud":1}'
    assert parse_line(line) == {"TransactionID": 5, "predicted_fraud": 1}
    line = 'k-5\tTimestamp:1717430400123\t{"predicted_fraud":1}'  # a string key, no offsets
    assert parse_line(line, key="TransactionID") == {"predicted_fraud": 1, "TransactionID": "k-5"}


def test_a_key_printed_with_another_delimiter_asks_for_it(tmp_path: Path) -> None:
    path = FIXTURES / "consume_delimiter_headers.txt"
    with pytest.raises(ExportError, match=r"consume_delimiter_headers\.txt:1: .*--delimiter"):
        load_file(path)


def test_a_console_message_without_a_record_value_names_its_item(tmp_path: Path) -> None:
    path = tmp_path / "messages.json"
    path.write_text(json.dumps([{"key": None, "value": {"TransactionID": 1}}, {"value": None}]))
    with pytest.raises(ExportError, match=r"item 1: the value is null"):
        load_file(path)
