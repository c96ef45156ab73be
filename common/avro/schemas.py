"""Avro schemas for table columns, shaped the way Confluent Cloud registers them.

Record `<table>_value` (or `_key`) in namespace `org.apache.flink.avro.generated.record`;
nullable columns as `["null", T]` with a null default, NOT NULL columns as plain `T`. The
producers and the CREATE TABLE emulation both build schemas here, so they cannot drift.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from common.errors import CcflinkError

NAMESPACE = "org.apache.flink.avro.generated.record"

_PRIMITIVES: dict[str, Any] = {
    "BOOLEAN": "boolean",
    "TINYINT": {"type": "int", "connect.type": "int8"},
    "SMALLINT": {"type": "int", "connect.type": "int16"},
    "INT": "int",
    "INTEGER": "int",
    "BIGINT": "long",
    "FLOAT": "float",
    "DOUBLE": "double",
    "STRING": "string",
    "BYTES": "bytes",
    "DATE": {"type": "int", "logicalType": "date"},
}


# The whole type, not its first word: `VARCHAR(3) junk` is not a VARCHAR Flink would read.
_CHARACTERS = re.compile(r"(?:VARCHAR|CHAR(?:ACTER)?(?: VARYING)?)(?: ?\(\d+\))?")
_BINARY = re.compile(r"(?:VARBINARY|BINARY(?: VARYING)?)(?: ?\(\d+\))?")


class SchemaMappingError(CcflinkError):
    """A column whose name or type has no place in an Avro schema."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    sql_type: str
    nullable: bool = True


def avro_type(sql_type: str, flink_reader: bool = False) -> Any:
    """The Avro type of a Flink SQL type (the subset the pipeline's tables use).

    Confluent maps TIMESTAMP(p) to `local-timestamp-*`. Flink 2.2's avro-confluent format only
    accepts its legacy mapping (`timestamp-*`) in the schema it is given, so `flink_reader`
    asks for that one; both are a long of the same value, so records read and write alike.
    """
    normalized = re.sub(r"\s+", " ", sql_type.strip().upper())
    normalized = normalized.replace("DOUBLE PRECISION", "DOUBLE")
    if normalized in _PRIMITIVES:
        return _PRIMITIVES[normalized]
    if _CHARACTERS.fullmatch(normalized):
        return "string"
    if _BINARY.fullmatch(normalized):
        return "bytes"
    timestamp = re.match(r"^TIMESTAMP(?:\((\d)\))?( WITH LOCAL TIME ZONE)?$", normalized)
    ltz = re.match(r"^TIMESTAMP_LTZ(?:\((\d)\))?$", normalized)
    if flink_reader and (ltz or (timestamp and timestamp.group(2))):
        raise SchemaMappingError(
            f"type {sql_type}: Flink 2.2's avro-confluent format cannot read or write "
            "TIMESTAMP_LTZ (only its legacy timestamp mapping); CAST it to TIMESTAMP(3), or "
            "make it the record timestamp: `ts` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'"
        )
    if timestamp or ltz:
        precision = int((timestamp or ltz).group(1) or (3 if ltz else 6))
        local = bool(timestamp) and not timestamp.group(2) and not flink_reader
        unit = "millis" if precision <= 3 else "micros"
        logical = f"{'local-' if local else ''}timestamp-{unit}"
        return {"type": "long", "logicalType": logical}
    decimal = re.match(r"^DECIMAL\((\d+)(?:,\s*(\d+))?\)$", normalized)
    if decimal:
        return {
            "type": "bytes",
            "logicalType": "decimal",
            "precision": int(decimal.group(1)),
            "scale": int(decimal.group(2) or 0),
        }
    raise SchemaMappingError(f"type {sql_type} has no Avro mapping in this emulator")


# Avro's rule for field names; Confluent's registry formats refuse other names.
_AVRO_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def record_schema(
    record_name: str, fields: list[FieldSpec], flink_reader: bool = False
) -> dict[str, Any]:
    avro_fields = []
    for spec in fields:
        if not _AVRO_NAME.match(spec.name):
            raise SchemaMappingError(
                f"column `{spec.name}` is not a valid Avro field name ([A-Za-z_][A-Za-z0-9_]*), "
                "so it cannot be in the topic's schema; rename it (in a query: AS new_name)"
            )
        try:
            base = avro_type(spec.sql_type, flink_reader)
        except SchemaMappingError as error:
            raise SchemaMappingError(f"column `{spec.name}`: {error}") from None
        if spec.nullable:
            avro_fields.append({"name": spec.name, "type": ["null", base], "default": None})
        else:
            avro_fields.append({"name": spec.name, "type": base})
    return {"type": "record", "name": record_name, "namespace": NAMESPACE, "fields": avro_fields}


def value_record_name(table: str) -> str:
    return f"{table}_value"


def key_record_name(table: str) -> str:
    return f"{table}_key"
