"""Rows fitted to a table's declared records, every row checked before anything is sent.

The table's latest registered key and value schemas say what a record holds, through the plan
the CLI's producer follows (`producers.declared`): which column fills which field, the
timestamp field that takes the record's time, the nullable fields no column fills. Text is
converted as the CLI converts CSV cells; numbers and None are checked against the field. Each
record is then serialized by confluent-kafka's AvroSerializer with the registered schema (never
registering one), so what Flink reads is what any Confluent client would have written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from common.avro.encoder import Field
from common.ieee_cis import Kind
from emulator.testing.rows import RowError, Rows
from producers.csv_source import convert_cell
from producers.declared import CsvColumn, RecordPlan, declared_schema, plan_record

SHOWN_ERRORS = 5


@dataclass(frozen=True)
class DeclaredTable:
    """How a table's records are written: its key (None: the table declares no key) and value."""

    name: str
    key: RecordPlan | None
    value: RecordPlan


@dataclass(frozen=True)
class Encoded:
    key: bytes | None
    value: bytes


def declared_table(
    registry: SchemaRegistryClient, table: str, rows: Rows, timestamp_field: str | None
) -> DeclaredTable:
    """The plans for `table`'s key and value from its registered schemas; RowError when the
    table is not declared (nothing registered its value subject)."""
    value = declared_schema(registry, table, "value")
    if value is None:
        raise RowError(
            f"table `{table}` is not declared: subject {table}-value has no schema. "
            "Create the table first (ccflink.sql or ccflink.sql_file)."
        )
    key = declared_schema(registry, table, "key")

    def plan(role: str, declared: tuple[int, dict[str, Any]], stamp: str | None) -> RecordPlan:
        schema_id, schema = declared
        return plan_record(table, role, schema_id, schema, rows.columns, stamp, rows.source)

    return DeclaredTable(
        table,
        None if key is None else plan("key", key, None),
        plan("value", value, timestamp_field),
    )


def field_value(value: Any, column: CsvColumn, field: Field) -> Any:
    """`value` as the field's type; ValueError says why it cannot be."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, str):
        converted = convert_cell(value, column)
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        if not column.nullable:
            raise ValueError("null, and the field cannot be null")
        converted = None
    elif column.kind is Kind.STRING:
        raise ValueError(f"{value!r} is a {type(value).__name__}, not text")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is a {type(value).__name__}, not a number")
    elif column.kind is Kind.INT:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        converted = _fitting(int(value), column, field)
    else:
        converted = float(value)
    return converted


def _fitting(integer: int, column: CsvColumn, field: Field) -> int:
    """`integer` if its field's Avro int or long holds it (text is checked by `convert_cell`);
    past it the encoder would write a record no reader takes, or fail without naming the row."""
    low, high = column.int_range
    if not low <= integer <= high:
        width = (
            "an INT (32 bits); declare it BIGINT" if field.type == "int" else "a BIGINT (64 bits)"
        )
        raise ValueError(f"{integer} does not fit {width}")
    return integer


def fit(plan: RecordPlan, row: Mapping[str, Any], timestamp_ms: int) -> dict[str, Any]:
    """The record `plan` declares, filled from `row`; ValueError names the field and why."""
    columns = {column.name: column for column in plan.columns}
    record: dict[str, Any] = {}
    for field in plan.fields:
        if field.name == plan.timestamp:
            record[field.name] = timestamp_ms
        elif field.name in columns:
            try:
                record[field.name] = field_value(row.get(field.name), columns[field.name], field)
            except ValueError as error:
                kind = f"{field.type}{'' if field.nullable else ', not null'}"
                raise ValueError(f"field `{field.name}` ({kind}): {error}") from None
        else:  # a nullable field nothing fills
            record[field.name] = None
    return record


@dataclass(frozen=True)
class _RecordWriter:
    """One side of a table's records (key or value): fitted, then serialized."""

    plan: RecordPlan
    serialize: AvroSerializer
    context: SerializationContext

    def write(self, row: Mapping[str, Any], timestamp_ms: int) -> bytes:
        return self.serialize(fit(self.plan, row, timestamp_ms), self.context)


def _writer(
    registry: SchemaRegistryClient, table: str, plan: RecordPlan, side: MessageField
) -> _RecordWriter:
    """Writes with the schema the plan was made from (its id), registering nothing."""
    serializer = AvroSerializer(
        registry, conf={"auto.register.schemas": False, "use.schema.id": plan.schema_id}
    )
    return _RecordWriter(plan, serializer, SerializationContext(table, side))


def encode_rows(
    registry: SchemaRegistryClient, table: DeclaredTable, rows: Rows, timestamp_ms: int
) -> list[Encoded]:
    """Every row's key and value, serialized; RowError names each row that cannot be, before
    any is sent."""
    value_writer = _writer(registry, table.name, table.value, MessageField.VALUE)
    key_writer = (
        None if table.key is None else _writer(registry, table.name, table.key, MessageField.KEY)
    )
    encoded: list[Encoded] = []
    errors: list[str] = []
    for place, row in zip(rows.places, rows.values, strict=True):
        try:
            value = value_writer.write(row, timestamp_ms)
            key = None if key_writer is None else key_writer.write(row, timestamp_ms)
        except (ValueError, TypeError) as error:
            errors.append(f"{place}: {error}")
            continue
        encoded.append(Encoded(key, value))
    if errors:
        more = len(errors) - SHOWN_ERRORS
        raise RowError(
            f"table `{table.name}`: {len(errors)} of {len(rows.values)} rows cannot be written "
            "as the table declares them; nothing was sent.\n  "
            + "\n  ".join(errors[:SHOWN_ERRORS])
            + (f"\n  ... and {more} more" if more > 0 else "")
        )
    return encoded
