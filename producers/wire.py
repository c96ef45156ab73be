"""Confluent's wire format: magic byte 0, the 4-byte big-endian schema id, the Avro body."""

from __future__ import annotations

import io
import struct
from typing import Any

import fastavro

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")


class AvroEncoder:
    """Encodes records of one registered schema; the parsed schema is reused for every record."""

    def __init__(self, schema_id: int, schema: dict[str, Any]) -> None:
        self.schema_id = schema_id
        self._parsed = fastavro.parse_schema(schema)
        self._header = _HEADER.pack(MAGIC_BYTE, schema_id)

    def encode(self, record: dict[str, Any]) -> bytes:
        buffer = io.BytesIO()
        buffer.write(self._header)
        fastavro.schemaless_writer(buffer, self._parsed, record)
        return buffer.getvalue()


def decode(message: bytes, schemas_by_id: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """Decode a wire-format message whose writer schema is in `schemas_by_id`.

    Pass schemas already parsed by `fastavro.parse_schema` when decoding many messages.
    """
    if len(message) < _HEADER.size or message[0] != MAGIC_BYTE:
        raise ValueError("not in Confluent wire format (magic byte 0 and schema id expected)")
    _, schema_id = _HEADER.unpack_from(message)
    if schema_id not in schemas_by_id:
        raise KeyError(f"schema id {schema_id} is unknown")
    parsed = fastavro.parse_schema(schemas_by_id[schema_id])
    return fastavro.schemaless_reader(io.BytesIO(message[_HEADER.size :]), parsed, None)


def schema_id_of(message: bytes) -> int:
    return _HEADER.unpack_from(message)[1]
