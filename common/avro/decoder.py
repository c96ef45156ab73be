"""Reading Avro in Confluent's wire format: the writer schema comes from the header's id.

A topic carries few schemas and many records, so each schema is looked up (usually at the
registry) and parsed once, then kept by id for every later record.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import fastavro
from confluent_kafka.schema_registry import SchemaRegistryClient

from common.avro.wire import HEADER_SIZE, unpack_header

# A writer schema by its id: the registry's JSON text, or the schema already as JSON values.
SchemaLookup = Callable[[int], str | dict[str, Any]]


class AvroDecoder:
    """Decodes wire-format messages; `lookup` is asked once per schema id."""

    def __init__(self, lookup: SchemaLookup) -> None:
        self._lookup = lookup
        self._parsed: dict[int, Any] = {}

    @classmethod
    def of_registry(cls, registry: SchemaRegistryClient) -> AvroDecoder:
        """Writer schemas fetched from a Schema Registry (`GET /schemas/ids/<id>`)."""
        return cls(lambda schema_id: registry.get_schema(schema_id).schema_str)

    def __call__(self, message: bytes) -> Any:
        schema_id = unpack_header(message)
        parsed = self._parsed.get(schema_id)
        if parsed is None:
            schema = self._lookup(schema_id)
            if isinstance(schema, str):
                schema = json.loads(schema)
            parsed = self._parsed[schema_id] = fastavro.parse_schema(schema)
        return fastavro.schemaless_reader(io.BytesIO(message[HEADER_SIZE:]), parsed, None)
