"""Tables inferred from topics that exist before Flink runs (the producers ran first).

On Confluent Cloud every topic is a table. A topic that is not internal and not in the catalog
becomes one here when the session starts, from the latest `<topic>-key` / `<topic>-value`
schemas (dialect reference, section 1.8):

- no key schema: a column `key BYTES` with 'key.format' = 'raw' (renamed `key_key` with
  'key.fields-prefix' = 'key_' when the value has a field `key`); an atomic key schema: a
  column `key` of that type; a record key: its fields, then the value's fields; key fields that
  all appear in the value with the same type and nullability: the value's fields with
  'value.fields-include' = 'all'; other name clashes: key columns prefixed `key_`;
- Avro non-union types are NOT NULL, `["null", T]` is a nullable T; primitives, enums and the
  logical types map as Confluent maps them;
- partitions are the topic's; the changelog is upsert on a compacted topic with a key schema,
  append otherwise.

The registered schemas are left as the producers wrote them. What the emulator's Flink DDL
(`emulator.tables.flink_ddl`) cannot read is taken out, with a warning naming the topic: a key
it cannot express (raw bytes and atomic Avro keys: its key format is a record read by
`avro-confluent`) drops the key columns and the table stays readable; a value it cannot read
(other unions, nested records, arrays, maps, fixed, TIME), or a topic without a value schema
(Confluent's raw `key`/`val` tables), skips the topic.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from emulator import tables
from emulator.catalog import Catalog, TableEntry
from emulator.config import Settings
from emulator.dialect.statements import ColumnDef
from emulator.kafka.topics import describe_topics, list_topics
from emulator.schema_registry.client import SchemaRegistryClient
from emulator.schema_registry.compatibility import reader_incompatibilities

KEY_PREFIX = "key_"

_PRIMITIVES = {
    "boolean": "BOOLEAN",
    "int": "INT",
    "long": "BIGINT",
    "float": "FLOAT",
    "double": "DOUBLE",
    "string": "STRING",
    "bytes": "BYTES",
}

_LOGICAL = {
    ("long", "timestamp-millis"): "TIMESTAMP_LTZ(3)",
    ("long", "timestamp-micros"): "TIMESTAMP_LTZ(6)",
    ("long", "local-timestamp-millis"): "TIMESTAMP(3)",
    ("long", "local-timestamp-micros"): "TIMESTAMP(6)",
    ("long", "time-micros"): "BIGINT",
    ("int", "date"): "DATE",
    ("int", "time-millis"): "TIME(3)",
    ("string", "uuid"): "STRING",
}


class UnsupportedSchema(ValueError):
    """A schema shape the emulator does not turn into columns."""


@dataclass
class Inference:
    """What a topic becomes: a catalog entry (None when skipped) and why it differs."""

    topic: str
    entry: TableEntry | None
    warnings: list[str] = field(default_factory=list)


def internal(topic: str) -> bool:
    return topic.startswith("_")


def _describe(schema: Any) -> str:
    return json.dumps(schema, separators=(",", ":"))


def flink_type(schema: Any, where: str) -> tuple[str, bool]:
    """The Flink SQL type of an Avro type, and whether the column is nullable."""
    if isinstance(schema, list):
        members = [m for m in schema if m != "null"]
        if len(schema) == 2 and len(members) == 1:
            type_text, _ = flink_type(members[0], where)
            return type_text, True
        raise UnsupportedSchema(
            f'{where}: union {_describe(schema)} (only ["null", T] is emulated; Confluent '
            "maps other unions to a ROW of nullable members)"
        )
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            return _PRIMITIVES[schema], False
        raise UnsupportedSchema(
            f"{where}: type {schema!r} (named type references are not emulated)"
        )
    if not isinstance(schema, dict) or "type" not in schema:
        raise UnsupportedSchema(f"{where}: not an Avro type: {_describe(schema)}")
    kind = schema["type"]
    logical = schema.get("logicalType")
    if logical == "decimal" and kind in ("bytes", "fixed"):
        return f"DECIMAL({int(schema['precision'])}, {int(schema.get('scale', 0))})", False
    if isinstance(kind, str) and (kind, logical) in _LOGICAL:
        return _LOGICAL[(kind, logical)], False
    if kind == "enum":
        return "STRING", False
    if kind == "fixed":
        return f"BINARY({int(schema['size'])})", False
    if kind in ("record", "error"):
        raise UnsupportedSchema(f"{where}: nested record {schema.get('name')!r} is not emulated")
    if kind in ("array", "map"):
        raise UnsupportedSchema(f"{where}: {kind} types are not emulated")
    if isinstance(kind, (str, list, dict)):
        return flink_type(kind, where)  # {"type": "long"} or an unknown logical type
    raise UnsupportedSchema(f"{where}: not an Avro type: {_describe(schema)}")


def record_columns(schema: Any, role: str) -> list[ColumnDef]:
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise UnsupportedSchema(f"the {role} schema is not a record")
    columns = []
    for avro_field in schema.get("fields", []):
        type_text, nullable = flink_type(avro_field["type"], f"{role} field {avro_field['name']!r}")
        columns.append(ColumnDef(avro_field["name"], type_text, nullable))
    return columns


def _is_record(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "record"


def confluent_table(
    topic: str, key_schema: Any, value_schema: Any, partitions: int, cleanup_policy: str = "delete"
) -> TableEntry:
    """The table Confluent infers from a topic's schemas (key schema None when there is none)."""
    values = record_columns(value_schema, "value")
    value_names = {c.name for c in values}
    options: dict[str, str] = {}
    if key_schema is None or not _is_record(key_schema):
        if key_schema is None:
            key_type, key_nullable = "BYTES", True
            options["key.format"] = "raw"
        else:
            key_type, key_nullable = flink_type(key_schema, "key")
        key_name = "key"
        if key_name in value_names:
            key_name = KEY_PREFIX + key_name
            options["key.fields-prefix"] = KEY_PREFIX
        keys = [ColumnDef(key_name, key_type, key_nullable)]
        columns = keys + values
    else:
        keys = record_columns(key_schema, "key")
        key_names = {c.name for c in keys}
        if not key_names & value_names:
            columns = keys + values
        elif all(k in values for k in keys):  # same name, type and nullability
            columns = values
            options["value.fields-include"] = "all"
        else:
            keys = [replace(k, name=KEY_PREFIX + k.name) for k in keys]
            clash = {k.name for k in keys} & value_names
            if clash:
                raise UnsupportedSchema(
                    f"key fields clash with value fields even with the prefix {KEY_PREFIX!r}: "
                    f"{sorted(clash)}"
                )
            options["key.fields-prefix"] = KEY_PREFIX
            columns = keys + values
    compacted = "compact" in cleanup_policy
    if compacted:
        options["kafka.cleanup-policy"] = cleanup_policy.replace(",", "-").replace(
            "compact-delete", "delete-compact"
        )
    key_columns = [k.name for k in keys]
    upsert = compacted and key_schema is not None
    return TableEntry(
        name=topic,
        columns=columns,
        key_columns=key_columns,
        partitions=partitions,
        options=options,
        primary_key=list(key_columns) if upsert else [],
    )


def _reader_problems(reader: dict[str, Any], writer: Any) -> list[str]:
    """Why Flink's reader schema cannot read what the producer wrote (empty when it can).

    Avro's resolving reader does not compare the top-level record names, and a reader field
    missing from the writer would read as its default (NULL) without a word: both handled here.
    """
    if _is_record(writer):
        reader = {**reader, "name": writer["name"], "namespace": writer.get("namespace")}
        writer_names = {f["name"] for f in writer.get("fields", [])}
        missing = [f["name"] for f in reader["fields"] if f["name"] not in writer_names]
        if missing:
            return [f"fields {missing} are not in the registered schema"]
    return [i.detail for i in reader_incompatibilities(reader, writer)]


def _without_key(entry: TableEntry) -> TableEntry:
    keys = set(entry.key_columns)
    include_all = entry.options.get("value.fields-include") == "all"
    columns = entry.columns if include_all else [c for c in entry.columns if c.name not in keys]
    options = {
        k: v
        for k, v in entry.options.items()
        if k not in ("key.format", "key.fields-prefix", "value.fields-include")
    }
    return replace(entry, columns=columns, key_columns=[], primary_key=[], options=options)


def emulated_table(entry: TableEntry, key_schema: Any, value_schema: Any) -> Inference:
    """Confluent's table as far as the emulator's Flink DDL reads it (see the module doc)."""
    inference = Inference(entry.name, entry)
    if entry.key_columns:
        if key_schema is None:
            problems = ["a raw (schema-less) key is not emulated"]
        else:
            try:
                reader = tables.key_schema(entry, flink_reader=True)
                problems = _reader_problems(reader, key_schema) if reader else []
            except ValueError as error:
                problems = [str(error)]
            if problems and not _is_record(key_schema):
                problems = ["an atomic Avro key is not emulated (the key format reads records)"]
        if problems:
            dropped = ", ".join(f"`{k}`" for k in entry.key_columns)
            warning = f"key column(s) {dropped} left out: {'; '.join(problems)}"
            if entry.primary_key:
                warning += "; read as an append table (compacted topic)"
            inference.warnings.append(warning)
            entry = _without_key(entry)
            inference.entry = entry
    try:
        problems = _reader_problems(tables.value_schema(entry, flink_reader=True), value_schema)
    except ValueError as error:
        problems = [str(error)]
    if problems:
        inference.entry = None
        inference.warnings.append("value not readable by the emulator: " + "; ".join(problems))
    return inference


def _parsed(version: dict[str, Any] | None, role: str) -> Any:
    if version is None:
        return None
    schema_type = version.get("schemaType", "AVRO").upper()
    if schema_type != "AVRO":
        raise UnsupportedSchema(f"the {role} schema is {schema_type} (only Avro is emulated)")
    text = version["schema"]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text.strip()  # a bare primitive name


def infer(
    topic: str,
    key_version: dict[str, Any] | None,
    value_version: dict[str, Any] | None,
    partitions: int,
    cleanup_policy: str = "delete",
) -> Inference:
    """A topic's table from its subjects' latest versions (as the registry answers them)."""
    if value_version is None:
        return Inference(
            topic,
            None,
            [f"no subject {topic}-value: raw tables (`key`/`val` VARBINARY) are not emulated"],
        )
    try:
        key_schema = _parsed(key_version, "key")
        value_schema = _parsed(value_version, "value")
        entry = confluent_table(topic, key_schema, value_schema, partitions, cleanup_policy)
    except UnsupportedSchema as error:
        return Inference(topic, None, [str(error)])
    return emulated_table(entry, key_schema, value_schema)


def add_to_catalog(
    settings: Settings, catalog: Catalog, say: Callable[[str], None] = print
) -> list[str]:
    """Add a table for every topic that is neither internal nor in the catalog yet.

    Warnings name the topics skipped or changed; nothing here stops the session.
    """
    try:
        candidates = sorted(
            t
            for t in list_topics(settings.bootstrap_servers)
            if not internal(t) and t not in catalog.tables
        )
        if not candidates:
            return []
        details = describe_topics(settings.bootstrap_servers, candidates)
        registry = SchemaRegistryClient(settings.schema_registry_url)
        inferences = []
        for topic, (partitions, cleanup_policy) in sorted(details.items()):
            key_version = registry.latest(f"{topic}-key")
            value_version = registry.latest(f"{topic}-value")
            inferences.append(infer(topic, key_version, value_version, partitions, cleanup_policy))
    except Exception as error:  # the broker or registry is down: the session still starts
        say(f"  warning: tables were not inferred from existing topics: {error}")
        return []
    added = []
    for inference in inferences:
        for warning in inference.warnings:
            verb = "skipped" if inference.entry is None else "inferred"
            say(f"  warning: topic `{inference.topic}` {verb}: {warning}")
        if inference.entry is not None:
            catalog.tables[inference.topic] = inference.entry
            added.append(inference.topic)
    if added:
        catalog.save()
    return added
