"""Confluent's table model on Kafka + Schema Registry, and its open-source Flink DDL.

A Confluent table *is* a topic with `<table>-key` / `<table>-value` subjects. Creating one here
creates the topic (partitions from DISTRIBUTED INTO n BUCKETS, default 6), registers the
schemas with Confluent's record names, and records it in the catalog; `flink_ddl` then renders
the `kafka` connector table open-source Flink needs, with `$rowtime` and its watermark.
"""

from __future__ import annotations

import json

from emulator.avro_schemas import FieldSpec, key_record_name, record_schema, value_record_name
from emulator.catalog import DEFAULT_PARTITIONS, TableEntry
from emulator.config import Settings
from emulator.dialect.statements import ColumnDef, CreateTable
from emulator.dialect.text import DialectError, quote_identifier
from emulator.kafka.topics import SEVEN_DAYS_MS, create_topic
from emulator.schema_registry.client import SchemaRegistryClient

# Stand-in for Confluent's SOURCE_WATERMARK(): a fixed bound on out-of-orderness. Confluent's
# adapts to the stream and emits nothing useful before ~250 records per partition; this one is
# more permissive (README, "Differences from Confluent Cloud").
DEFAULT_WATERMARK_DELAY = "INTERVAL '0.2' SECOND"
ROWTIME = "$rowtime"

_TOPIC_OPTIONS = {
    "kafka.cleanup-policy": "cleanup.policy",
    "kafka.retention.time": "retention.ms",
    "kafka.retention.size": "retention.bytes",
    "kafka.max-message-size": "max.message.bytes",
}


def _fields(columns: list[ColumnDef]) -> list[FieldSpec]:
    return [FieldSpec(c.name, c.type, c.nullable) for c in columns]


def key_schema(table: TableEntry) -> dict | None:
    if not table.key_columns:
        return None
    by_name = {c.name: c for c in table.columns}
    return record_schema(
        key_record_name(table.name), _fields([by_name[k] for k in table.key_columns])
    )


def value_schema(table: TableEntry) -> dict:
    return record_schema(value_record_name(table.name), _fields(table.value_columns))


def table_entry(statement: CreateTable, columns: list[ColumnDef] | None = None) -> TableEntry:
    columns = columns if columns is not None else statement.columns
    names = {c.name for c in columns}
    missing = [k for k in statement.key_columns if k not in names]
    if missing:
        raise DialectError(f"DISTRIBUTED BY / PRIMARY KEY names unknown columns: {missing}")
    return TableEntry(
        name=statement.name,
        columns=columns,
        key_columns=statement.key_columns,
        partitions=statement.buckets or DEFAULT_PARTITIONS,
        watermark=statement.watermark,
        options=statement.options,
    )


def _topic_configs(table: TableEntry) -> dict[str, str]:
    configs = {"cleanup.policy": "delete", "retention.ms": str(SEVEN_DAYS_MS)}
    for option, topic_key in _TOPIC_OPTIONS.items():
        if option in table.options:
            value = table.options[option]
            configs[topic_key] = value.replace("delete-compact", "delete,compact")
    return configs


def provision(settings: Settings, table: TableEntry) -> None:
    """Create the topic and register the key/value schemas, as Confluent's CREATE TABLE does."""
    create_topic(settings.bootstrap_servers, table.name, table.partitions, _topic_configs(table))
    registry = SchemaRegistryClient(settings.schema_registry_url)
    schema = key_schema(table)
    if schema is not None:
        registry.register(f"{table.name}-key", schema)
    registry.register(f"{table.name}-value", value_schema(table))


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def flink_ddl(settings: Settings, table: TableEntry) -> str:
    """The open-source Flink DDL for a Confluent table: `kafka` connector, avro-confluent."""
    lines = [c.sql() for c in table.columns]
    lines.append(f"`{ROWTIME}` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL")
    if table.watermark is not None:
        column, expression = table.watermark
        lines.append(f"WATERMARK FOR {quote_identifier(column)} AS {expression}")
    else:
        lines.append(f"WATERMARK FOR `{ROWTIME}` AS `{ROWTIME}` - {DEFAULT_WATERMARK_DELAY}")
    startup = table.options.get("scan.startup.mode", "earliest-offset")
    options = {
        "connector": "kafka",
        "topic": table.name,
        "properties.bootstrap.servers": settings.bootstrap_servers,
        "properties.isolation.level": "read_committed",
        "scan.startup.mode": startup,
        "value.format": "avro-confluent",
        "value.avro-confluent.url": settings.schema_registry_url,
        "value.avro-confluent.schema": json.dumps(value_schema(table)),
        "value.fields-include": "ALL"
        if table.options.get("value.fields-include", "except-key").lower() == "all"
        else "EXCEPT_KEY",
    }
    schema = key_schema(table)
    if schema is not None:
        options.update(
            {
                "key.format": "avro-confluent",
                "key.fields": ";".join(table.key_columns),
                "key.avro-confluent.url": settings.schema_registry_url,
                "key.avro-confluent.schema": json.dumps(schema),
            }
        )
        if table.options.get("key.fields-prefix"):
            options["key.fields-prefix"] = table.options["key.fields-prefix"]
    else:
        options["sink.partitioner"] = "round-robin"
    body = ",\n  ".join(lines)
    with_clause = ",\n  ".join(f"{_sql_string(k)} = {_sql_string(v)}" for k, v in options.items())
    return f"CREATE TABLE {quote_identifier(table.name)} (\n  {body}\n) WITH (\n  {with_clause}\n)"
