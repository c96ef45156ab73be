"""One canonical form per cell, so the same value read from Avro, CSV or JSON compares equal.

0, 0.0, "0", false and "false" are one label; "", "null", "None" and NaN are nulls. Avro-JSON
union branches such as `{"int": 1}` are unwrapped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

AVRO_UNION_BRANCHES = frozenset(
    {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
)
NULL_STRINGS = frozenset({"", "null", "none", "nan"})

Row = dict[str, Any]


def normalise(value: Any) -> Any:
    """One canonical form per value: None, int, float (non-integral only) or str.

    Booleans become 0/1, numeric strings become numbers, integral floats become ints, and the
    strings "", "null", "None", "NaN" (any case) and float NaN become None.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if isinstance(value, str):
        text = value.strip()
        lowered = text.lower()
        if lowered in NULL_STRINGS:
            return None
        if lowered == "true":
            return 1
        if lowered == "false":
            return 0
        try:
            return int(text)
        except ValueError:
            pass
        try:
            return normalise(float(text))
        except ValueError:
            return text
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return normalise(value.item())
    return value


def is_number(value: Any) -> bool:
    """An int or float that is not a bool (normalised values never are bools)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def unwrap_union(value: Any) -> Any:
    """`{"int": 1}` (Avro JSON encoding of a union branch) -> 1; other values unchanged."""
    if isinstance(value, dict) and len(value) == 1:
        (branch, inner), *_ = value.items()
        if branch in AVRO_UNION_BRANCHES:
            return inner
    return value


def clean(row: Mapping[str, Any]) -> Row:
    """A row with string column names and union branches unwrapped."""
    return {str(k): unwrap_union(v) for k, v in row.items()}


def merge_key(row: Row, key_part: Any, key: str | None) -> Row:
    """Add a record's key to its value: Confluent's `value.fields-include` default leaves key
    columns out of the value.

    An object key adds its fields where the row lacks them; a scalar key fills the `key`
    column when the row has none.
    """
    key_part = unwrap_union(key_part)
    if isinstance(key_part, dict):
        for name, value in clean(key_part).items():
            row.setdefault(name, value)
    elif key_part is not None and key is not None and row.get(key) is None:
        row[key] = key_part
    return row
