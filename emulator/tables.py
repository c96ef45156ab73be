"""Confluent's table model on Kafka + Schema Registry, and its open-source Flink DDL.

A Confluent table *is* a topic with `<table>-key` / `<table>-value` subjects. Creating one here
creates the topic (partitions from DISTRIBUTED INTO n BUCKETS, default 6), registers the
schemas with Confluent's record names, and records it in the catalog; `flink_ddl` then renders
the `kafka` connector table open-source Flink needs, with `$rowtime` and its watermark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from common.avro.schemas import (
    FieldSpec,
    SchemaMappingError,
    key_record_name,
    record_schema,
    value_record_name,
)
from common.registry import register, registry_client
from emulator.catalog import DEFAULT_PARTITIONS, TableEntry
from emulator.config import Settings
from emulator.dialect.statements import ColumnDef, CreateTable
from emulator.dialect.text import DialectError, quote_identifier
from emulator.kafka.topics import SEVEN_DAYS_MS, create_topic

# Stand-in for Confluent's SOURCE_WATERMARK(): a fixed bound on out-of-orderness. Confluent's
# adapts to the stream and emits nothing useful before ~250 records per partition; this one is
# more permissive (README, "Differences from Confluent Cloud").
DEFAULT_WATERMARK_DELAY = "INTERVAL '0.2' SECOND"
ROWTIME = "$rowtime"


def _record(
    table: TableEntry, record_name: str, columns: list[ColumnDef], flink_reader: bool
) -> dict:
    """A key or value schema from physical columns; what Avro cannot hold is refused."""
    fields = [FieldSpec(c.name, c.type, c.nullable) for c in columns]
    try:
        return record_schema(record_name, fields, flink_reader)
    except SchemaMappingError as error:
        raise DialectError(f"table `{table.name}`: {error}") from None


def key_schema(table: TableEntry, flink_reader: bool = False) -> dict | None:
    """The `<table>-key` schema; None without key columns or with a raw key."""
    if not table.key_columns or table.key_format == "raw":
        return None
    if flink_reader and table.key_reader_schema is not None:
        return table.key_reader_schema
    by_name = {c.name: c for c in table.columns}
    key_columns = [by_name[k] for k in table.key_columns]
    return _record(table, key_record_name(table.name), key_columns, flink_reader)


def value_schema(table: TableEntry, flink_reader: bool = False) -> dict:
    if flink_reader and table.value_reader_schema is not None:
        return table.value_reader_schema
    return _record(table, value_record_name(table.name), table.value_columns, flink_reader)


def table_entry(statement: CreateTable, columns: list[ColumnDef] | None = None) -> TableEntry:
    columns = columns if columns is not None else statement.columns
    physical = {c.name for c in columns if c.physical}
    missing = [k for k in statement.key_columns if k not in physical]
    if missing:
        raise DialectError(
            f"DISTRIBUTED BY / PRIMARY KEY names unknown columns: {missing} "
            "(key columns are physical columns, not metadata or computed ones)"
        )
    _check_metadata_keys(columns)
    entry = TableEntry(
        name=statement.name,
        columns=columns,
        key_columns=statement.key_columns,
        primary_key=statement.primary_key,
        partitions=statement.buckets or DEFAULT_PARTITIONS,
        watermark=statement.watermark,
        options=statement.options,
    )
    if entry.changelog_mode == "upsert" and entry.key_columns != entry.primary_key:
        raise DialectError(
            "an upsert table is distributed by its primary key: DISTRIBUTED BY "
            f"{entry.key_columns} must equal PRIMARY KEY {entry.primary_key} "
            "(or set 'changelog.mode' = 'append')"
        )
    return entry


def _check_metadata_keys(columns: list[ColumnDef]) -> None:
    """Flink reads each metadata key into one column only (`$rowtime` follows `timestamp`)."""
    readers: dict[str, str] = {}
    for column in columns:
        if column.metadata is None:
            continue
        if column.metadata in readers:
            first = readers[column.metadata]
            raise DialectError(
                f"columns `{first}` and `{column.name}` both read metadata key "
                f"'{column.metadata}'; keep one and compute the other: `{column.name}` AS `{first}`"
            )
        readers[column.metadata] = column.name


_DURATION_UNITS_MS = {
    "ms": 1,
    "milli": 1,
    "millis": 1,
    "millisecond": 1,
    "milliseconds": 1,
    "s": 1000,
    "sec": 1000,
    "second": 1000,
    "seconds": 1000,
    "min": 60_000,
    "m": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "h": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
    "d": 86_400_000,
    "day": 86_400_000,
    "days": 86_400_000,
}
_SIZE_UNITS = {"b": 1, "bytes": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def _amount(option: str, value: str, units: dict[str, int], default_unit: str) -> int:
    match = re.fullmatch(r"\s*(-?\d+)\s*([A-Za-z]*)\s*", value)
    unit = (match.group(2) if match else "").lower() or default_unit
    if not match or unit not in units:
        raise DialectError(
            f"option '{option}' = '{value}': expected a number with a unit ({', '.join(units)})"
        )
    return int(match.group(1)) * units[unit]


def _topic_configs(table: TableEntry) -> dict[str, str]:
    """Confluent's creation options as topic configs ('0' retention means infinite)."""
    options = table.options
    configs = {"cleanup.policy": "delete", "retention.ms": str(SEVEN_DAYS_MS)}
    if "kafka.cleanup-policy" in options:
        configs["cleanup.policy"] = options["kafka.cleanup-policy"].replace(
            "delete-compact", "delete,compact"
        )
    if "kafka.retention.time" in options:
        retention = _amount(
            "kafka.retention.time", options["kafka.retention.time"], _DURATION_UNITS_MS, "ms"
        )
        configs["retention.ms"] = str(retention if retention > 0 else -1)
    if "kafka.retention.size" in options:
        size = _amount("kafka.retention.size", options["kafka.retention.size"], _SIZE_UNITS, "b")
        configs["retention.bytes"] = str(size if size > 0 else -1)
    if "kafka.max-message-size" in options:
        configs["max.message.bytes"] = str(
            _amount("kafka.max-message-size", options["kafka.max-message-size"], _SIZE_UNITS, "b")
        )
    return configs


def provision(settings: Settings, table: TableEntry) -> None:
    """Create the topic and register the key/value schemas, as Confluent's CREATE TABLE does."""
    create_topic(
        settings.bootstrap_servers,
        table.name,
        table.partitions,
        _topic_configs(table),
        security=settings.kafka_security,
    )
    registry = registry_client(settings.schema_registry_url, auth=settings.registry_auth)
    schema = key_schema(table)
    if schema is not None:
        register(registry, f"{table.name}-key", schema)
    register(registry, f"{table.name}-value", value_schema(table))


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# Confluent's scan options; Flink's Kafka connector has the same names and values.
SCAN_OPTIONS = (
    "scan.startup.mode",
    "scan.startup.timestamp-millis",
    "scan.startup.specific-offsets",
    "scan.bounded.mode",
    "scan.bounded.timestamp-millis",
    "scan.bounded.specific-offsets",
)


def scan_options(table: TableEntry, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Where reading starts and stops: the table's options, then the session's `sql.tables.scan.*`.

    Confluent reads from the earliest offset unless told otherwise (open-source Flink: from
    the consumer group's offsets).
    """
    chosen = {"scan.startup.mode": "earliest-offset"}
    chosen |= {k: v for k, v in table.options.items() if k in SCAN_OPTIONS}
    chosen |= dict(overrides or {})
    return chosen


# Confluent's consumer isolation option and the Kafka client values it stands for.
ISOLATION_LEVELS = {"read-committed": "read_committed", "read-uncommitted": "read_uncommitted"}
ISOLATION_OPTION = "kafka.consumer.isolation-level"
# Longest a Kafka transaction may stay open: the broker's transaction.max.timeout.ms (15 min by
# default) refuses longer ones, and Flink's connector would ask for an hour. A statement down
# for longer than this loses the writes of its last checkpoint: the broker aborts them.
TRANSACTION_TIMEOUT_MS = 15 * 60 * 1000
# How a statement's Kafka producer batches: a record waits up to 20 ms to share a request,
# in batches of up to 256 KB per partition (the client's default batch: 16 KB, about ten of
# the fraud pipeline's records). Fewer, larger produce requests cost the producer's network
# thread and the broker less per record; BENCHMARKS.md has the effect. 20 ms per hop is
# small beside the commit interval a read-committed reader waits for.
PRODUCER_BATCHING = {"properties.linger.ms": "20", "properties.batch.size": str(256 * 1024)}


def isolation_level(table: TableEntry) -> str:
    """How Flink reads the table's topic: only committed records unless the table says not."""
    chosen = table.options.get(ISOLATION_OPTION, "read-committed").lower()
    if chosen not in ISOLATION_LEVELS:
        raise DialectError(
            f"table `{table.name}`: '{ISOLATION_OPTION}' = '{chosen}' is not a level; "
            f"use {' or '.join(repr(level) for level in ISOLATION_LEVELS)}"
        )
    return ISOLATION_LEVELS[chosen]


def sink_options(settings: Settings, table: TableEntry, writer: str | None) -> dict[str, str]:
    """Exactly-once writes, as Confluent makes them: a Kafka transaction per checkpoint.

    Transactional ids start with the writing statement's name, so two statements writing one
    topic never fence each other and a statement restored from its checkpoint aborts what its
    previous run left open. A table declared for reading only gets a prefix of its own name.
    """
    return {
        "sink.delivery-guarantee": "exactly-once",
        "sink.transactional-id-prefix": writer or f"ccflink-{table.name}",
        "properties.transaction.timeout.ms": str(TRANSACTION_TIMEOUT_MS),
    } | PRODUCER_BATCHING


def flink_ddl(
    settings: Settings,
    table: TableEntry,
    scan_overrides: Mapping[str, str] | None = None,
    writer: str | None = None,
) -> str:
    """The open-source Flink DDL for a Confluent table: avro-confluent value, and key if any.

    Append tables use the `kafka` connector; upsert tables (a primary key without
    'changelog.mode' = 'append') use `upsert-kafka`, whose updates are keyed records and
    deletes tombstones, as Confluent writes them. Metadata and computed columns pass as
    declared: Flink reads and writes them, the registered schemas leave them out.
    `scan_overrides`: the session's `sql.tables.scan.*` settings, as scan option names;
    `writer`: the statement that will write the table (its transactions are named after it).
    """
    upsert = table.changelog_mode == "upsert"
    if table.changelog_mode == "retract":
        raise DialectError(
            f"table `{table.name}`: 'changelog.mode' = 'retract' is not emulated "
            "(open-source Flink's Kafka connector cannot write the `op` header); "
            "use 'upsert' with a primary key, or 'append'"
        )
    if upsert and not table.primary_key:
        raise DialectError(f"table `{table.name}`: 'changelog.mode' = 'upsert' needs a PRIMARY KEY")
    lines = [c.sql() for c in table.columns]
    lines.append(_rowtime_column(table))
    if table.watermark is not None:
        column, expression = table.watermark
        lines.append(f"WATERMARK FOR {quote_identifier(column)} AS {expression}")
    else:
        lines.append(f"WATERMARK FOR `{ROWTIME}` AS `{ROWTIME}` - {DEFAULT_WATERMARK_DELAY}")
    if upsert:
        keys = ", ".join(quote_identifier(k) for k in table.primary_key)
        lines.append(f"PRIMARY KEY ({keys}) NOT ENFORCED")
    options = {
        "connector": "upsert-kafka" if upsert else "kafka",
        "topic": table.name,
        "properties.bootstrap.servers": settings.bootstrap_servers,
        "properties.isolation.level": isolation_level(table),
    } | sink_options(settings, table, writer)
    if settings.profile is not None:
        options |= settings.profile.flink_kafka_properties()
    if not upsert:  # upsert-kafka always reads the whole changelog
        options |= scan_options(table, scan_overrides)
    options |= _value_options(settings, table)
    options |= _key_options(settings, table, upsert)
    body = ",\n  ".join(lines)
    with_clause = ",\n  ".join(f"{_sql_string(k)} = {_sql_string(v)}" for k, v in options.items())
    return f"CREATE TABLE {quote_identifier(table.name)} (\n  {body}\n) WITH (\n  {with_clause}\n)"


def _rowtime_column(table: TableEntry) -> str:
    """`$rowtime`: the record timestamp, hidden from SELECT * as a virtual metadata column.

    Flink lets one column only read a metadata key, so in a table that declares its own
    `timestamp` column `$rowtime` is computed from that one (and SELECT * shows it).
    """
    declared = next((c for c in table.columns if c.metadata == "timestamp"), None)
    if declared is None:
        return f"`{ROWTIME}` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL"
    return f"`{ROWTIME}` AS CAST({quote_identifier(declared.name)} AS TIMESTAMP_LTZ(3))"


def _value_options(settings: Settings, table: TableEntry) -> dict[str, str]:
    value_format = table.options.get("value.format", "avro-registry").lower()
    if value_format != "avro-registry":
        raise DialectError(
            f"table `{table.name}`: 'value.format' = '{value_format}' is not emulated; "
            "use 'avro-registry' (the default)"
        )
    include_all = table.options.get("value.fields-include", "except-key").lower() == "all"
    return {
        "value.format": "avro-confluent",
        "value.avro-confluent.url": settings.schema_registry_url,
        "value.avro-confluent.schema": json.dumps(value_schema(table, flink_reader=True)),
        "value.fields-include": "ALL" if include_all else "EXCEPT_KEY",
        **_registry_auth_options(settings, "value."),
    }


def _registry_auth_options(settings: Settings, prefix: str) -> dict[str, str]:
    """The profile's registry API key for Flink's avro-confluent format, if it has one."""
    if settings.profile is None or settings.registry_auth is None:
        return {}
    return settings.profile.flink_registry_options(prefix)


# Types Flink's `raw` format stores as the bytes Confluent's raw key holds.
_RAW_KEY_TYPE = re.compile(r"(?i)^(STRING|BYTES|(VAR)?CHAR\(\d+\)|(VAR)?BINARY\(\d+\))$")


def _key_options(settings: Settings, table: TableEntry, upsert: bool) -> dict[str, str]:
    """How the record key is written and read: none (round-robin), raw bytes or Avro."""
    if not table.key_columns:
        return {"sink.partitioner": "round-robin"}
    # upsert-kafka takes its key fields from the primary key.
    options = {} if upsert else {"key.fields": ";".join(table.key_columns)}
    if table.key_format == "raw":
        _check_raw_key(table)
        options["key.format"] = "raw"
    elif table.key_format == "avro-registry":
        options |= {
            "key.format": "avro-confluent",
            "key.avro-confluent.url": settings.schema_registry_url,
            "key.avro-confluent.schema": json.dumps(key_schema(table, flink_reader=True)),
            **_registry_auth_options(settings, "key."),
        }
    else:
        raise DialectError(
            f"table `{table.name}`: 'key.format' = '{table.key_format}' is not emulated; "
            "use 'avro-registry' (the default) or 'raw'"
        )
    if table.options.get("key.fields-prefix"):
        options["key.fields-prefix"] = table.options["key.fields-prefix"]
    return options


def _check_raw_key(table: TableEntry) -> None:
    by_name = {c.name: c for c in table.columns}
    types = [by_name[k].type for k in table.key_columns]
    if len(types) != 1 or not _RAW_KEY_TYPE.match(types[0]):
        keys = ", ".join(f"`{k}` {t}" for k, t in zip(table.key_columns, types, strict=True))
        raise DialectError(
            f"table `{table.name}`: 'key.format' = 'raw' keeps the key as one column's bytes, "
            f"so it takes a single STRING or BYTES key column, not {keys}; "
            "use 'avro-registry' for other keys"
        )
