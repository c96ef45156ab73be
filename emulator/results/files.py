"""Rows of an export file: Avro object container, CSV, or JSON lines.

The format is chosen by extension, else by sniffing the first bytes (or forced by the caller):

- **Avro object container** (`.avro`, or the `Obj\\x01` magic): read with fastavro.
- **CSV** with a header row (`.csv`): empty cells are nulls.
- **JSON lines** (`.json`, `.jsonl`, `.ndjson`, `.txt`, anything else starting with `{`), as
  `confluent kafka topic consume --value-format avro` prints them. Per line:
  blank lines are skipped; a line that is not one JSON value is split at its *first* tab into
  key and value (what `--print-key` prints with its default delimiter), and the value must be a
  JSON object; an object whose keys are all among `key`, `value`, `partition`, `offset`,
  `timestamp`, `timestampType`, `headers`, `topic` and which has `value` is a wrapper and its
  `value` (an object or a JSON string holding one) is the row. The key is merged into the row
  as `values.merge_key` says. Avro-JSON union branches such as `{"int": 1}` are unwrapped.
"""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path
from typing import Any

import fastavro

from common.errors import CcflinkError
from emulator.results.values import Row, clean, merge_key

FORMATS = ("auto", "jsonl", "csv", "avro")
AVRO_MAGIC = b"Obj\x01"
WRAPPER_KEYS = frozenset(
    {"key", "value", "partition", "offset", "timestamp", "timestampType", "headers", "topic"}
)


class ExportError(CcflinkError):
    """A file that cannot be read as rows; the message names the file (and line) where known."""


def _json_object(text: str) -> Any:
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ExportError(str(error)) from None
    if isinstance(value, str):  # a value printed as a JSON string holding JSON
        with contextlib.suppress(ValueError):
            value = json.loads(value)
    return value


def parse_json_line(line: str, key: str | None = None) -> Row | None:
    """One line of `confluent kafka topic consume` output as a row; None for a blank line."""
    text = line.strip("\r\n")
    if not text.strip():
        return None
    key_part: Any = None
    try:
        value = _json_object(text)
    except ExportError:
        if "\t" not in text:
            raise ExportError("neither a JSON object nor key<TAB>value") from None
        raw_key, raw_value = text.split("\t", 1)
        value = _json_object(raw_value)
        try:
            key_part = _json_object(raw_key)
        except ExportError:
            key_part = raw_key.strip() or None
    if isinstance(value, dict) and "value" in value and set(value) <= WRAPPER_KEYS:
        key_part = value.get("key", key_part)
        if isinstance(key_part, str):
            with contextlib.suppress(ExportError):
                key_part = _json_object(key_part)
        value = value["value"]
        if isinstance(value, str):
            value = _json_object(value)
    if not isinstance(value, dict):
        raise ExportError(f"the value is a JSON {type(value).__name__}, not an object")
    return merge_key(clean(value), key_part, key)


def load_json_lines(path: Path, key: str | None = None) -> list[Row]:
    """Rows of a JSON-lines file; an unreadable line is reported as `path:line: reason`."""
    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = parse_json_line(line, key)
            except ExportError as error:
                raise ExportError(f"{path}:{number}: {error}") from None
            if row is not None:
                rows.append(row)
    return rows


def load_csv(path: Path) -> list[Row]:
    """Rows of a CSV file with a header row; empty cells are nulls."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ExportError(f"{path}: no header row")
        return [{k: (None if v == "" else v) for k, v in row.items()} for row in reader]


def load_avro(path: Path) -> list[Row]:
    """Records of an Avro object container file."""
    with Path(path).open("rb") as handle:
        try:
            return [clean(record) for record in fastavro.reader(handle)]
        except ValueError as error:  # fastavro's word for "not an Avro container"
            raise ExportError(str(error)) from None


def detect_format(path: Path) -> str:
    """ "avro", "csv" or "jsonl", by extension, else by the first bytes."""
    suffix = Path(path).suffix.lower()
    if suffix == ".avro":
        return "avro"
    if suffix == ".csv":
        return "csv"
    if suffix in {".json", ".jsonl", ".ndjson"}:
        return "jsonl"
    with Path(path).open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(AVRO_MAGIC):
        return "avro"
    first_line = head.lstrip().split(b"\n", 1)[0]
    if first_line.startswith((b"{", b'"')) or b"\t{" in first_line:
        return "jsonl"
    return "csv"


def load_file(path: str | Path, fmt: str = "auto", key: str | None = None) -> list[Row]:
    """Rows of a JSON-lines, CSV or Avro container file (`fmt` "auto" detects it).

    `key` names the column a scalar JSON-lines record key fills.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    try:
        if fmt == "avro":
            return load_avro(path)
        if fmt == "csv":
            return load_csv(path)
        if fmt == "jsonl":
            return load_json_lines(path, key)
    except UnicodeDecodeError as error:  # a binary file read as text
        raise ExportError(str(error)) from None
    raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
