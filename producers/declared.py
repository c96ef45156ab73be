"""Producing to a table as it is declared: its registered record, the CSV columns that fill
its fields, and what cannot be filled, all found before anything is sent.

A table made by the user's `CREATE TABLE` (other column types, columns left out, a
`Timestamp TIMESTAMP(3)` the producer fills) is written with its own latest registered schema:
each field takes the CSV column of the same name, converted to the field's type; the timestamp
field takes the record's timestamp; a nullable field no column fills is written as null. What
cannot be written that way stops the replay with a `DeclaredSchemaError` that names the table,
the field and what to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from confluent_kafka.schema_registry import SchemaRegistryClient

from common.avro.encoder import INTEGER_RANGES, TYPES, Field
from common.errors import CcflinkError
from common.ieee_cis import Kind
from common.registry import latest_version

# The field the cloud demo's producers fill with the record's timestamp.
TIMESTAMP_FIELD = "Timestamp"
_TIMESTAMP_TYPES = {"timestamp-millis", "local-timestamp-millis"}
# How a CSV column is read for an Avro type the batch encoder writes.
_KINDS = {"int": Kind.INT, "long": Kind.INT, "double": Kind.FLOAT, "string": Kind.STRING}


class DeclaredSchemaError(CcflinkError):
    """The table's registered schema has a field the replay cannot fill."""


@dataclass(frozen=True)
class CsvColumn:
    """A CSV column read for a field: parsed as `kind`; empty cells allowed when nullable; an
    INT column's values within `int_range` (its field's Avro int or long)."""

    name: str
    kind: Kind
    nullable: bool
    int_range: tuple[int, int] = INTEGER_RANGES["long"]


@dataclass(frozen=True)
class RecordPlan:
    """How one record (a key or a value) of a table is written."""

    schema_id: int
    fields: list[Field]  # the encoder's fields, in the declared order
    columns: list[CsvColumn]  # the CSV columns that fill them
    timestamp: str | None  # the field that takes the record's timestamp
    unfilled: list[str]  # nullable fields no CSV column fills: written as null


@dataclass(frozen=True)
class _DeclaredField:
    name: str
    base: Any  # the Avro type without its null branch
    nullable: bool

    @property
    def logical(self) -> str | None:
        return self.base.get("logicalType") if isinstance(self.base, dict) else None

    @property
    def primitive(self) -> str | None:
        base = self.base.get("type") if isinstance(self.base, dict) else self.base
        return base if isinstance(base, str) else None

    def described(self) -> str:
        kind = self.logical or self.primitive or "a complex type"
        return f"{kind}{'' if self.nullable else ', not null'}"


def declared_schema(
    registry: SchemaRegistryClient, table: str, role: str
) -> tuple[int, dict[str, Any]] | None:
    """The id and Avro schema of the latest version of `<table>-<role>`; None when no table
    declares that subject yet. A schema of another type is refused: records are written as Avro.
    """
    subject = f"{table}-{role}"
    latest = latest_version(registry, subject)
    if latest is None:
        return None
    if latest.get("schemaType", "AVRO") != "AVRO":
        raise DeclaredSchemaError(
            f"table `{table}`: subject {subject} holds a {latest['schemaType']} schema; "
            "the replay writes Avro (declare the table with 'value.format' = 'avro-registry')"
        )
    return latest["id"], json.loads(latest["schema"])


def _declared_fields(table: str, role: str, schema: dict[str, Any]) -> list[_DeclaredField]:
    if schema.get("type") != "record":
        raise DeclaredSchemaError(
            f"table `{table}`: its registered {role} schema is not an Avro record "
            f"({str(schema)[:80]}); the replay writes records of the CSV's columns"
        )
    fields = []
    for field in schema["fields"]:
        avro_type = field["type"]
        nullable = isinstance(avro_type, list) and "null" in avro_type
        if nullable and (len(avro_type) != 2 or avro_type[0] != "null"):
            raise DeclaredSchemaError(
                f"table `{table}`: {role} field `{field['name']}` is the union {avro_type}; "
                'the replay writes a nullable field as ["null", T], as Flink registers it'
            )
        fields.append(
            _DeclaredField(field["name"], avro_type[1] if nullable else avro_type, nullable)
        )
    return fields


def plan_record(
    table: str,
    role: str,
    schema_id: int,
    schema: dict[str, Any],
    header: list[str],
    timestamp_field: str | None,
    source: str = "the CSV file",
) -> RecordPlan:
    """How to write the table's `role` ("key" or "value") record from a CSV with `header`;
    a field takes the column of its exact name (Flink's names are case-sensitive). `source`
    names what the columns come from, in refusals."""
    fields: list[Field] = []
    columns: list[CsvColumn] = []
    unfilled: list[str] = []
    timestamp = None
    for declared in _declared_fields(table, role, schema):
        where = f"table `{table}`: {role} field `{declared.name}` ({declared.described()})"
        if declared.name == timestamp_field and declared.logical in _TIMESTAMP_TYPES:
            timestamp = declared.name
            fields.append(Field(declared.name, "long", declared.nullable))
            continue
        if declared.name not in header:
            if not declared.nullable:
                raise DeclaredSchemaError(
                    f"{where} has no column in {source} and cannot be null. Add the "
                    f"column to {source}, or recreate the table with the column nullable "
                    "(or without it)."
                )
            unfilled.append(declared.name)
            # Never written but as null: its type does not matter to the encoder.
            fields.append(Field(declared.name, "long", nullable=True))
            continue
        if declared.logical is not None or declared.primitive not in TYPES:
            raise DeclaredSchemaError(
                f"{where}: the replay writes CSV text as INT, BIGINT, DOUBLE or STRING "
                "fields only. Declare the column with one of those types, or leave it out "
                "of the table."
            )
        fields.append(Field(declared.name, declared.primitive, declared.nullable))
        kind = _KINDS[declared.primitive]
        width = INTEGER_RANGES.get(declared.primitive, INTEGER_RANGES["long"])
        columns.append(CsvColumn(declared.name, kind, declared.nullable, width))
    return RecordPlan(schema_id, fields, columns, timestamp, unfilled)
