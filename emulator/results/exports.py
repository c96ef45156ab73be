"""What every export reader shares: its error, and an exported message made into one row.

The Confluent tools export a message either as its value alone (a JSON object) or as an object
holding the value beside its key and metadata (`partition`, `offset`, `timestamp`, ...), as the
Cloud Console's message download does. Either way the row is the value, with the key's fields
added where the value lacks them (Confluent's default `value.fields-include` leaves key columns
out of the value; `values.merge_key`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from common.errors import CcflinkError
from emulator.results.values import Row, clean, merge_key

# The fields of an exported message object; `__confluent_index` is the Console's row number.
MESSAGE_FIELDS = frozenset(
    {
        "topic",
        "partition",
        "offset",
        "timestamp",
        "timestampType",
        "headers",
        "key",
        "value",
        "__confluent_index",
    }
)
JSON_KINDS = {dict: "an object", list: "an array", str: "a string", type(None): "null"}


class ExportError(CcflinkError):
    """A file that cannot be read as rows; the message names the file (and line) where known."""


def json_or_text(text: str) -> Any:
    """The JSON value `text` holds, else the text itself (a string key, a value printed as text)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def is_message(fields: Mapping[str, Any]) -> bool:
    """An exported message rather than a row: it has a `value` and only message fields.

    A row with a column named `value` beside columns of its own is a row.
    """
    return "value" in fields and set(fields) <= MESSAGE_FIELDS


def _decoded(part: Any) -> Any:
    """A key or value as data: exports print one as a JSON string holding JSON."""
    return json_or_text(part) if isinstance(part, str) else part


def as_row(found: Mapping[str, Any], printed_key: Any, key: str | None) -> Row:
    """An object read from an export as a row: a message's value with its key, or the object.

    `printed_key` is a key printed beside the object (the CLI's `--print-key`); a message
    object's own key replaces it. `key` names the column a scalar key fills.
    """
    value: Any = found
    if is_message(found):
        printed_key, value = _decoded(found.get("key")), _decoded(found["value"])
    if not isinstance(value, dict):
        kind = JSON_KINDS.get(type(value), "a number or boolean")
        raise ExportError(f"the value is {kind}, not a JSON object")
    return merge_key(clean(value), printed_key, key)
