"""The request bodies the registry reads, each field's JSON type checked where the body is read.

Confluent's registry binds a body to a typed request object before any route runs, so a field
of the wrong type is refused as unprocessable (422, with the error_code of what the field is
part of: 42201 for a schema, 42203 for a compatibility level) and never reaches the store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.schema_registry.store import RegistryError

# How JSON names the types a decoded body can hold, for the message.
_JSON_NAMES: dict[type, str] = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}


@dataclass(frozen=True)
class BodyField:
    """One field of a body: its JSON type, and how Confluent refuses it when it is wrong."""

    json_type: type
    error_code: int
    error: str
    required: bool = False


SCHEMA_BODY: dict[str, BodyField] = {
    "schema": BodyField(str, 42201, "Invalid schema", required=True),
    "schemaType": BodyField(str, 42201, "Invalid schema"),
    "references": BodyField(list, 42201, "Invalid schema"),
}
CONFIG_BODY: dict[str, BodyField] = {
    "compatibility": BodyField(str, 42203, "Invalid compatibility level", required=True),
}


def read_body(data: Any, fields: Mapping[str, BodyField]) -> dict[str, Any]:
    """The body's known fields, each of its JSON type; an optional one sent as null is left
    out, as Confluent reads it as not given. Other fields are ignored, as Confluent does."""
    if not isinstance(data, dict):
        raise RegistryError(400, 400, "Request body must be a JSON object")
    read: dict[str, Any] = {}
    for name, field in fields.items():
        value = data.get(name)
        if value is None and not field.required:
            continue
        if name not in data:
            raise RegistryError(
                422, field.error_code, f"{field.error}: the request has no '{name}' field"
            )
        if type(value) is not field.json_type:
            raise RegistryError(
                422,
                field.error_code,
                f"{field.error}: '{name}' must be {_JSON_NAMES[field.json_type]}, "
                f"not {_JSON_NAMES.get(type(value), type(value).__name__)}",
            )
        read[name] = value
    return read
