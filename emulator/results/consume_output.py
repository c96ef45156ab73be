"""Rows of what `confluent kafka topic consume` prints, read as the CLI writes it.

Per message the CLI prints one line (confluentinc/cli, `internal/kafka/confluent_kafka.go`):

- with `--print-key`, the key then the `--delimiter` (a tab by default). A key read with
  `--key-format avro` is a JSON object; with the default `string` format it is the key's text,
  and `null` when the message has no key;
- with `--timestamp` and/or `--print-offset`, `Timestamp:<ms>` and `Partition:<p> Offset:<o>`,
  joined by a space and followed by a tab;
- the value: for `--value-format avro` a JSON object (plain JSON from CLI v4; Avro's JSON
  encoding, with union branches such as `{"int": 1}`, from older versions).

A message with headers is followed by a `% Headers: [...]` line, and consumer errors are
printed as `% Error: ...` lines; neither is a message. A line holding one message object
(`{"key": ..., "value": ..., "partition": ...}`) is read as `exports.as_row` says.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from emulator.results.exports import ExportError, as_row, json_or_text
from emulator.results.values import Row

DEFAULT_DELIMITER = "\t"  # the CLI's --delimiter default
CLI_NOTE = "% "  # how the CLI starts a line that is not a message
METADATA = re.compile(
    r"(?:Timestamp:-?\d+(?: Partition:-?\d+ Offset:\S+)?|Partition:-?\d+ Offset:\S+)\t\Z"
)
_DECODER = json.JSONDecoder()


def _split_value(text: str) -> tuple[str, dict]:
    """The text before the value, and the value: the JSON object that ends the line.

    The first `{` from which one JSON object runs to the end of the line opens the value; a key
    printed before it (an object, a string, `null`) never does.
    """
    start = text.find("{")
    while start != -1:
        try:
            value, end = _DECODER.raw_decode(text, start)
        except ValueError:
            end = -1
        if end == len(text):
            return text[:start], value
        start = text.find("{", start + 1)
    raise ExportError("no JSON object ends the line (is the value format avro or JSON?)")


def _printed_key(prefix: str, delimiter: str) -> object:
    """The key printed before the value, without its delimiter and the CLI's metadata."""
    metadata = METADATA.search(prefix)
    if metadata:
        prefix = prefix[: metadata.start()]
    if not prefix:
        return None
    if not prefix.endswith(delimiter):
        raise ExportError(
            f"the text before the value does not end with the key delimiter {delimiter!r}; "
            "pass the --delimiter given to `confluent kafka topic consume`"
        )
    text = prefix[: -len(delimiter)].strip()
    return None if text in ("", "null") else json_or_text(text)


def parse_line(line: str, key: str | None = None, delimiter: str = DEFAULT_DELIMITER) -> Row | None:
    """One printed line as a row; None for a blank line or one of the CLI's `% ` notes.

    `key` names the column a scalar key fills.
    """
    text = line.rstrip()
    if not text or text.startswith(CLI_NOTE):
        return None
    prefix, value = _split_value(text)
    return as_row(value, _printed_key(prefix, delimiter), key)


def load_consume_output(
    path: Path, key: str | None = None, delimiter: str = DEFAULT_DELIMITER
) -> list[Row]:
    """Rows of a saved `confluent kafka topic consume` output; a bad line is `path:line: why`."""
    rows = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                row = parse_line(line, key, delimiter)
            except ExportError as error:
                raise ExportError(f"{path}:{number}: {error}") from None
            if row is not None:
                rows.append(row)
    return rows
