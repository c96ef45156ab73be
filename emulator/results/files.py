"""Rows of an export file, in the shapes the Confluent tools write (or forced by the caller).

- **jsonl**: what `confluent kafka topic consume --value-format avro` prints, one message a
  line, with or without the key, its delimiter, timestamp and offset (`consume_output`).
- **json**: a JSON array of message objects, as the Cloud Console's message download writes
  it (`{"partition": ..., "offset": ..., "key": ..., "value": {...}, ...}`), or of rows.
- **csv** with a header row: empty cells are nulls. When the header holds only message fields
  (`key`, `value`, `partition`, ...; the Console's CSV download), each `value` cell is the
  record as JSON.
- **avro**: an Avro object container file, read with fastavro.

`auto` goes by the extension (`.avro`, `.csv`, `.jsonl`, `.ndjson`), else by the content: the
Avro magic bytes, a first line opening a JSON array, a `.json` file, a first line ending in a
JSON object or no line at all (the CLI's output), or else CSV. `exports.as_row` makes each
message a row.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import fastavro

from emulator.results.consume_output import CLI_NOTE, DEFAULT_DELIMITER, load_consume_output
from emulator.results.exports import ExportError, as_row, is_message
from emulator.results.values import Row, clean

FORMATS = ("auto", "jsonl", "json", "csv", "avro")
AVRO_MAGIC = b"Obj\x01"
SUFFIX_FORMATS = {".avro": "avro", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def load_json_array(path: Path, key: str | None = None) -> list[Row]:
    """Rows of a JSON array of message objects (the Console's download) or of rows."""
    try:
        items = json.loads(Path(path).read_text(encoding="utf-8"))
    except ValueError as error:
        raise ExportError(f"{path}: {error}") from None
    if not isinstance(items, list):
        raise ExportError(f"{path}: not a JSON array of messages")
    rows = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ExportError(f"{path}: item {index} is not a JSON object")
        try:
            rows.append(as_row(item, None, key))
        except ExportError as error:
            raise ExportError(f"{path}: item {index}: {error}") from None
    return rows


def load_csv(path: Path, key: str | None = None) -> list[Row]:
    """Rows of a CSV file with a header row; empty cells are nulls; message rows are unwrapped."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            raise ExportError(f"{path}: no header row")
        cells = [{k: (None if v == "" else v) for k, v in row.items()} for row in reader]
    if not is_message(dict.fromkeys(reader.fieldnames)):
        return cells
    rows = []
    for line, message in enumerate(cells, start=2):
        try:
            rows.append(as_row(message, None, key))
        except ExportError as error:
            raise ExportError(f"{path}:{line}: {error}") from None
    return rows


def load_avro(path: Path) -> list[Row]:
    """Records of an Avro object container file."""
    with Path(path).open("rb") as handle:
        try:
            return [clean(record) for record in fastavro.reader(handle)]
        except ValueError as error:  # fastavro's word for "not an Avro container"
            raise ExportError(str(error)) from None


def _first_line(path: Path) -> bytes:
    """The first line that is neither blank nor one of the CLI's `% ` notes."""
    with Path(path).open("rb") as handle:
        for line in handle:
            text = line.strip()
            if text and not text.startswith(CLI_NOTE.encode()):
                return text
    return b""


def detect_format(path: Path) -> str:
    """ "avro", "csv", "json" or "jsonl", by extension, else by the content."""
    suffix = Path(path).suffix.lower()
    if suffix in SUFFIX_FORMATS:
        return SUFFIX_FORMATS[suffix]
    with Path(path).open("rb") as handle:
        if handle.read(len(AVRO_MAGIC)) == AVRO_MAGIC:
            return "avro"
    first = _first_line(path)
    if first.startswith(b"["):
        return "json"
    if suffix == ".json" or not first or first.endswith(b"}"):  # no line: no messages
        return "jsonl"
    return "csv"


def load_file(
    path: str | Path, fmt: str = "auto", key: str | None = None, delimiter: str = DEFAULT_DELIMITER
) -> list[Row]:
    """Rows of an export file (`fmt` "auto" detects its format).

    `key` names the column a scalar message key fills; `delimiter` is the one the CLI printed
    between key and value.
    """
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    try:
        if fmt == "avro":
            return load_avro(path)
        if fmt == "csv":
            return load_csv(path, key)
        if fmt == "json":
            return load_json_array(path, key)
        if fmt == "jsonl":
            return load_consume_output(path, key, delimiter)
    except UnicodeDecodeError as error:  # a binary file read as text
        raise ExportError(str(error)) from None
    raise ExportError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
