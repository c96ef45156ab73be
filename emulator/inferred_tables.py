"""Tables inferred from topics that exist before Flink runs (the producers ran first).

On Confluent Cloud every topic is a table. A topic that is not internal and not in the catalog
becomes one here when the session starts, from the latest `<topic>-key` / `<topic>-value`
schemas (dialect reference, section 1.8):

- no key schema: a column `key VARBINARY(2147483647)` with 'key.format' = 'raw' (renamed
  `key_key` with 'key.fields-prefix' = 'key_' when the value has a field `key`); an atomic key
  schema: a column `key` of that type; a record key: its fields, then the value's fields; key
  fields that all appear in the value with the same type and nullability: the value's fields
  with 'value.fields-include' = 'all'; other name clashes: key columns prefixed `key_`;
- Avro non-union types are NOT NULL, `["null", T]` is a nullable T; primitives, enums (STRING),
  nested records (ROW) and the logical types map as Confluent maps them;
- partitions are the topic's; the changelog is upsert on a compacted topic with a key schema,
  append otherwise.

The registered schemas are left as the producers wrote them, and Flink reads with them (enums,
nested records and record names kept), their logical types put the way Flink 2.2's
avro-confluent format maps them. What that format cannot read is changed or taken out, with a
warning naming the topic: TIMESTAMP_LTZ columns (`timestamp-millis`) are read as TIMESTAMP in
UTC; an atomic Avro key (the format reads records only) drops the key column and the table
stays readable; a value it cannot read (other unions, arrays, maps, fixed, TIME), or a topic
without a value schema (Confluent's raw `key`/`val` tables), skips the topic.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from common.registry import latest_version, registry_client
from emulator.catalog import Catalog, TableEntry
from emulator.config import Settings
from emulator.dialect.statements import ColumnDef
from emulator.kafka.topics import describe_topics, list_topics

KEY_PREFIX = "key_"
RAW_KEY_TYPE = "VARBINARY(2147483647)"  # BYTES, spelled as Confluent shows it
_LTZ = re.compile(r"TIMESTAMP_LTZ\((\d)\)")

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
        fields = ", ".join(c.sql() for c in record_columns(schema, where))
        return f"ROW<{fields}>", False
    if kind in ("array", "map"):
        raise UnsupportedSchema(f"{where}: {kind} types are not emulated")
    if isinstance(kind, (str, list, dict)):
        return flink_type(kind, where)  # {"type": "long"} or an unknown logical type
    raise UnsupportedSchema(f"{where}: not an Avro type: {_describe(schema)}")


def flink_reader_schema(schema: Any, where: str) -> Any:
    """The producer's Avro type as Flink 2.2's avro-confluent format reads it into our columns.

    The format checks that the schema it is given converts to exactly the table's row type,
    with its legacy mapping: `timestamp-*` is TIMESTAMP there, and local timestamps and
    `time-micros` have no type of their own. The encoded long is the same either way.
    """
    if isinstance(schema, list):
        return [flink_reader_schema(member, where) for member in schema]
    if not isinstance(schema, dict):
        return schema
    kind, logical = schema.get("type"), schema.get("logicalType")
    if kind in ("record", "error"):
        fields = [
            {**f, "type": flink_reader_schema(f["type"], f"{where} field {f['name']!r}")}
            for f in schema.get("fields", [])
        ]
        return {**schema, "fields": fields}
    if logical in ("local-timestamp-millis", "local-timestamp-micros"):
        return {**schema, "logicalType": logical.removeprefix("local-")}
    if logical == "time-micros":
        return {k: v for k, v in schema.items() if k != "logicalType"}
    if logical == "time-millis":
        raise UnsupportedSchema(f"{where}: TIME (time-millis) is not emulated")
    if kind == "fixed" and logical != "decimal":
        raise UnsupportedSchema(
            f"{where}: fixed is read as VARBINARY by Flink's avro-confluent format, not as "
            "Confluent's BINARY(size)"
        )
    if isinstance(kind, (dict, list)):
        return {**schema, "type": flink_reader_schema(kind, where)}
    return schema


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
            key_type, key_nullable = RAW_KEY_TYPE, True
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


def _key_reader_schema(key_schema: Any) -> dict[str, Any]:
    if not _is_record(key_schema):
        raise UnsupportedSchema(
            f"an atomic Avro key ({_describe(key_schema)}) is not emulated: Flink's "
            "avro-confluent format reads keys as records, and Avro does not resolve a plain "
            "value as a record"
        )
    return flink_reader_schema(key_schema, "key")


def _timestamps_in_utc(entry: TableEntry) -> tuple[TableEntry, list[str]]:
    """TIMESTAMP_LTZ columns as TIMESTAMP: Flink 2.2's avro-confluent cannot read the former."""
    changed = [c.name for c in entry.columns if _LTZ.search(c.type)]
    columns = [replace(c, type=_LTZ.sub(r"TIMESTAMP(\1)", c.type)) for c in entry.columns]
    return replace(entry, columns=columns), changed


def emulated_table(entry: TableEntry, key_schema: Any, value_schema: Any) -> Inference:
    """Confluent's table as far as the emulator's Flink DDL reads it (see the module doc)."""
    inference = Inference(entry.name, entry)
    if entry.key_columns and key_schema is not None:  # None: a raw key, read as bytes
        try:
            entry = replace(entry, key_reader_schema=_key_reader_schema(key_schema))
        except UnsupportedSchema as error:
            dropped = ", ".join(f"`{k}`" for k in entry.key_columns)
            warning = f"key column(s) {dropped} left out: {error}"
            if entry.primary_key:
                warning += "; read as an append table (compacted topic)"
            inference.warnings.append(warning)
            entry = _without_key(entry)
    try:
        entry = replace(entry, value_reader_schema=flink_reader_schema(value_schema, "value"))
    except UnsupportedSchema as error:
        inference.entry = None
        inference.warnings.append(f"value not readable by the emulator: {error}")
        return inference
    entry, in_utc = _timestamps_in_utc(entry)
    if in_utc:
        inference.warnings.append(
            f"column(s) {', '.join(f'`{c}`' for c in in_utc)} read as TIMESTAMP in UTC, not "
            "TIMESTAMP_LTZ (Flink 2.2's avro-confluent format cannot read TIMESTAMP_LTZ)"
        )
    inference.entry = entry
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
            for t in list_topics(settings.bootstrap_servers, settings.kafka_security)
            if not internal(t) and t not in catalog.tables
        )
        if not candidates:
            return []
        details = describe_topics(settings.bootstrap_servers, candidates, settings.kafka_security)
        registry = registry_client(settings.schema_registry_url, auth=settings.registry_auth)
        inferences = []
        for topic, (partitions, cleanup_policy) in sorted(details.items()):
            key_version = latest_version(registry, f"{topic}-key")
            value_version = latest_version(registry, f"{topic}-value")
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
