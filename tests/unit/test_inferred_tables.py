"""Tables inferred from existing topics: Confluent's columns, and what the emulator reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import inferred_tables, tables
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.dialect.statements import ColumnDef
from emulator.inferred_tables import (
    UnsupportedSchema,
    confluent_table,
    emulated_table,
    flink_type,
    infer,
)
from tests.fakes import FakeRegistry


def record(name: str, *fields: tuple[str, object], namespace: str = "com.example") -> dict:
    return {
        "type": "record",
        "name": name,
        "namespace": namespace,
        "fields": [{"name": n, "type": t} for n, t in fields],
    }


def version(schema: object, schema_type: str | None = None) -> dict:
    answer = {"subject": "s", "version": 1, "id": 1, "schema": json.dumps(schema)}
    if schema_type:
        answer["schemaType"] = schema_type
    return answer


VALUE = record("Click", ("url", "string"), ("n", "int"))


@pytest.mark.parametrize(
    ("avro", "expected"),
    [
        ("int", ("INT", False)),
        ("long", ("BIGINT", False)),
        ("float", ("FLOAT", False)),
        ("double", ("DOUBLE", False)),
        ("boolean", ("BOOLEAN", False)),
        ("string", ("STRING", False)),
        ("bytes", ("BYTES", False)),
        ({"type": "string"}, ("STRING", False)),
        (["null", "string"], ("STRING", True)),
        (["long", "null"], ("BIGINT", True)),
        ({"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}, ("STRING", False)),
        ({"type": "long", "logicalType": "timestamp-millis"}, ("TIMESTAMP_LTZ(3)", False)),
        ({"type": "long", "logicalType": "timestamp-micros"}, ("TIMESTAMP_LTZ(6)", False)),
        ({"type": "long", "logicalType": "local-timestamp-millis"}, ("TIMESTAMP(3)", False)),
        (
            ["null", {"type": "long", "logicalType": "local-timestamp-millis"}],
            ("TIMESTAMP(3)", True),
        ),
        ({"type": "int", "logicalType": "date"}, ("DATE", False)),
        (
            {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            ("DECIMAL(10, 2)", False),
        ),
        ({"type": "bytes", "logicalType": "decimal", "precision": 5}, ("DECIMAL(5, 0)", False)),
        ({"type": "string", "logicalType": "uuid"}, ("STRING", False)),
        ({"type": "long", "logicalType": "time-micros"}, ("BIGINT", False)),
        ({"type": "fixed", "name": "F", "size": 4}, ("BINARY(4)", False)),
        ({"type": "int", "logicalType": "unknown-to-us"}, ("INT", False)),
        (
            record("Inner", ("a", "int"), ("b", ["null", "string"])),
            ("ROW<`a` INT NOT NULL, `b` STRING>", False),
        ),
        (
            ["null", record("Outer", ("inner", record("Inner", ("a", "long"))))],
            ("ROW<`inner` ROW<`a` BIGINT NOT NULL> NOT NULL>", True),
        ),
    ],
)
def test_avro_types_map_as_confluent_maps_them(avro: object, expected: tuple[str, bool]) -> None:
    assert flink_type(avro, "field x") == expected


@pytest.mark.parametrize(
    ("avro", "message"),
    [
        (["null", "string", "int"], "union"),
        (["string", "int"], "union"),
        ({"type": "array", "items": "int"}, "array"),
        ({"type": "map", "values": "int"}, "map"),
        ("com.example.Named", "named type"),
    ],
)
def test_unsupported_shapes_name_the_field(avro: object, message: str) -> None:
    with pytest.raises(UnsupportedSchema, match=message) as raised:
        flink_type(avro, "value field 'x'")
    assert "value field 'x'" in str(raised.value)


def test_no_key_schema_gives_a_raw_bytes_key_column_first() -> None:
    entry = confluent_table("clicks", None, VALUE, 3)
    assert entry.columns == [
        ColumnDef("key", "VARBINARY(2147483647)", True),
        ColumnDef("url", "STRING", False),
        ColumnDef("n", "INT", False),
    ]
    assert entry.key_columns == ["key"]
    assert entry.options == {"key.format": "raw"}
    assert entry.partitions == 3
    assert entry.changelog_mode == "append"


def test_value_field_named_key_renames_the_raw_key_column() -> None:
    value = record("V", ("key", "string"), ("n", "int"))
    entry = confluent_table("t", None, value, 6)
    assert [c.name for c in entry.columns] == ["key_key", "key", "n"]
    assert entry.key_columns == ["key_key"]
    assert entry.options == {"key.format": "raw", "key.fields-prefix": "key_"}


def test_atomic_key_schema_gives_a_column_named_key_of_that_type() -> None:
    entry = confluent_table("t", "int", VALUE, 6)
    assert entry.columns[0] == ColumnDef("key", "INT", False)
    assert entry.key_columns == ["key"]
    assert "key.format" not in entry.options  # avro-registry, the default


def test_record_key_and_disjoint_value_give_key_fields_then_value_fields() -> None:
    key = record("ClickKey", ("user_id", "string"))
    value = record(
        "Click",
        ("url", "string"),
        ("ts", ["null", {"type": "long", "logicalType": "local-timestamp-millis"}]),
        ("n", "int"),
    )
    entry = confluent_table("clicks", key, value, 2)
    assert entry.columns == [
        ColumnDef("user_id", "STRING", False),
        ColumnDef("url", "STRING", False),
        ColumnDef("ts", "TIMESTAMP(3)", True),
        ColumnDef("n", "INT", False),
    ]
    assert entry.key_columns == ["user_id"]
    assert entry.options == {}
    assert [c.name for c in entry.value_columns] == ["url", "ts", "n"]


def test_key_fields_contained_in_the_value_give_value_fields_include_all() -> None:
    key = record("K", ("id", "int"))
    value = record("V", ("id", "int"), ("amount", "double"))
    entry = confluent_table("t", key, value, 6)
    assert [c.name for c in entry.columns] == ["id", "amount"]
    assert entry.key_columns == ["id"]
    assert entry.options == {"value.fields-include": "all"}
    assert [c.name for c in entry.value_columns] == ["id", "amount"]


def test_key_field_clashing_with_a_different_value_field_is_prefixed() -> None:
    key = record("K", ("id", "int"))
    value = record("V", ("id", "string"), ("amount", "double"))
    entry = confluent_table("t", key, value, 6)
    assert [c.name for c in entry.columns] == ["key_id", "id", "amount"]
    assert entry.key_columns == ["key_id"]
    assert entry.options == {"key.fields-prefix": "key_"}


def test_compacted_topic_is_upsert_with_a_key_schema_append_without() -> None:
    key = record("K", ("id", "int"))
    value = record("V", ("amount", "double"))
    keyed = confluent_table("t", key, value, 6, "compact")
    assert keyed.changelog_mode == "upsert"
    assert keyed.primary_key == ["id"]
    assert keyed.options["kafka.cleanup-policy"] == "compact"
    raw_key = confluent_table("t", None, value, 6, "compact,delete")
    assert raw_key.changelog_mode == "append"
    assert raw_key.options["kafka.cleanup-policy"] == "delete-compact"
    assert confluent_table("t", key, value, 6, "delete").changelog_mode == "append"


def test_value_schema_must_be_a_record() -> None:
    with pytest.raises(UnsupportedSchema, match="value schema is not a record"):
        confluent_table("t", None, "string", 6)


# --- what the emulator's Flink DDL can read ----------------------------------------------------


SETTINGS = Settings(state_dir=Path("/tmp"), jars_dir=Path("/tmp"))


def test_record_key_table_is_kept_whole_and_reads_the_registered_schemas() -> None:
    key = record("ClickKey", ("user_id", "string"))
    value = record(
        "Click",
        ("url", "string"),
        ("ts", ["null", {"type": "long", "logicalType": "local-timestamp-millis"}]),
        ("n", "int"),
        ("d", {"type": "int", "logicalType": "date"}),
        (
            "amount",
            ["null", {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}],
        ),
    )
    inference = infer("clicks", version(key), version(value), 2)
    assert inference.warnings == []
    entry = inference.entry
    assert entry is not None and entry.key_columns == ["user_id"]
    ddl = tables.flink_ddl(SETTINGS, entry)
    assert "'key.fields' = 'user_id'" in ddl
    assert "'value.fields-include' = 'EXCEPT_KEY'" in ddl
    assert "`ts` TIMESTAMP(3)," in ddl and "`n` INT NOT NULL" in ddl
    # Flink reads with the producer's own schemas (names kept), local timestamps as Flink
    # 2.2 maps them; nothing is registered.
    assert tables.key_schema(entry, flink_reader=True) == key
    reader = tables.value_schema(entry, flink_reader=True)
    assert reader["name"] == "Click" and reader["namespace"] == "com.example"
    assert reader["fields"][1]["type"] == [
        "null",
        {"type": "long", "logicalType": "timestamp-millis"},
    ]


def test_enums_and_nested_records_are_read_with_the_producers_schema() -> None:
    color = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}
    value = record(
        "V",
        ("color", color),
        ("address", ["null", record("Address", ("city", "string"), ("zip", ["null", "int"]))]),
    )
    inference = infer("shapes", None, version(value), 1)
    assert inference.warnings == []
    entry = inference.entry
    assert entry is not None
    assert [c.sql() for c in entry.columns] == [
        "`key` VARBINARY(2147483647)",
        "`color` STRING NOT NULL",
        "`address` ROW<`city` STRING NOT NULL, `zip` INT>",
    ]
    assert tables.value_schema(entry, flink_reader=True)["fields"][0]["type"] == color


def test_raw_key_column_is_read_as_the_keys_bytes() -> None:
    inference = infer("clicks", None, version(VALUE), 4)
    entry = inference.entry
    assert inference.warnings == []
    assert entry is not None
    assert [c.name for c in entry.columns] == ["key", "url", "n"]
    assert entry.key_columns == ["key"] and entry.options == {"key.format": "raw"}
    ddl = tables.flink_ddl(SETTINGS, entry)
    assert "'key.format' = 'raw'" in ddl and "'key.fields' = 'key'" in ddl
    assert "key.avro-confluent" not in ddl
    assert tables.key_schema(entry) is None  # never registered


def test_raw_key_renamed_when_the_value_has_a_field_named_key() -> None:
    value = record("V", ("key", "string"), ("n", "int"))
    entry = infer("t", None, version(value), 6).entry
    assert entry is not None
    ddl = tables.flink_ddl(SETTINGS, entry)
    assert "`key_key` VARBINARY(2147483647)" in ddl
    assert "'key.fields' = 'key_key'" in ddl and "'key.fields-prefix' = 'key_'" in ddl


def test_atomic_key_column_is_left_out() -> None:
    inference = infer("t", version("string"), version(VALUE), 6)
    assert inference.entry is not None
    assert [c.name for c in inference.entry.columns] == ["url", "n"]
    assert inference.entry.key_reader_schema is None
    assert "atomic" in inference.warnings[0] and "`key`" in inference.warnings[0]


def test_prefixed_key_columns_are_read_with_the_key_schema() -> None:
    key = record("K", ("id", "int"))
    value = record("V", ("id", "string"), ("amount", "double"))
    inference = infer("t", version(key), version(value), 6)
    assert inference.warnings == []
    entry = inference.entry
    assert entry is not None
    assert [c.name for c in entry.columns] == ["key_id", "id", "amount"]
    ddl = tables.flink_ddl(SETTINGS, entry)
    assert "'key.fields' = 'key_id'" in ddl and "'key.fields-prefix' = 'key_'" in ddl
    assert tables.key_schema(entry, flink_reader=True) == key


def test_contained_key_stays_with_value_fields_include_all() -> None:
    key = record("K", ("id", "int"))
    value = record("V", ("id", "int"), ("amount", "double"))
    inference = infer("t", version(key), version(value), 6, "compact")
    assert inference.warnings == []
    entry = inference.entry
    assert entry is not None and entry.changelog_mode == "upsert"
    ddl = tables.flink_ddl(SETTINGS, entry)
    assert "'connector' = 'upsert-kafka'" in ddl and "'value.fields-include' = 'ALL'" in ddl


def test_compacted_topic_whose_key_is_left_out_reads_as_append() -> None:
    value = record("V", ("id", "string"), ("amount", "double"))
    inference = infer("t", version("long"), version(value), 6, "compact")
    assert inference.entry is not None and inference.entry.changelog_mode == "append"
    assert "append" in inference.warnings[0]


def test_timestamp_ltz_columns_are_read_as_timestamps_in_utc() -> None:
    millis = {"type": "long", "logicalType": "timestamp-millis"}
    value = record("V", ("at", millis), ("inner", record("I", ("b", ["null", millis]))))
    inference = infer("t", None, version(value), 6)
    entry = inference.entry
    assert entry is not None
    assert [c.type for c in entry.columns[1:]] == [
        "TIMESTAMP(3)",
        "ROW<`b` TIMESTAMP(3)>",
    ]
    assert "`at`, `inner`" in inference.warnings[0] and "UTC" in inference.warnings[0]
    # Flink 2.2's legacy mapping reads timestamp-millis as TIMESTAMP(3): the schema stays.
    assert tables.value_schema(entry, flink_reader=True)["fields"][0]["type"] == millis


def test_time_micros_is_read_as_its_long() -> None:
    value = record("V", ("t", {"type": "long", "logicalType": "time-micros"}))
    entry = infer("t", None, version(value), 6).entry
    assert entry is not None and entry.columns[1] == ColumnDef("t", "BIGINT", False)
    assert tables.value_schema(entry, flink_reader=True)["fields"][0]["type"] == {"type": "long"}


@pytest.mark.parametrize(
    ("field_type", "reason"),
    [
        ({"type": "fixed", "name": "F", "size": 4}, "fixed"),
        ({"type": "int", "logicalType": "time-millis"}, "TIME"),
    ],
)
def test_values_the_flink_reader_cannot_read_skip_the_topic(
    field_type: object, reason: str
) -> None:
    value = record("V", ("id", "int"), ("x", field_type))
    inference = infer("t", None, version(value), 6)
    assert inference.entry is None
    assert reason in inference.warnings[-1] and "'x'" in inference.warnings[-1]


def test_unsupported_value_shapes_skip_the_topic_with_the_reason() -> None:
    value = record("V", ("tags", {"type": "array", "items": "string"}))
    inference = infer("listy", None, version(value), 6)
    assert inference.entry is None
    assert "array" in inference.warnings[0]


def test_topic_without_a_value_schema_is_skipped() -> None:
    inference = infer("raw_topic", None, None, 6)
    assert inference.entry is None
    assert "raw tables" in inference.warnings[0]


def test_non_avro_schemas_are_skipped() -> None:
    inference = infer("t", None, version({"type": "object"}, "JSON"), 6)
    assert inference.entry is None
    assert "JSON" in inference.warnings[0]


def test_emulated_table_keeps_a_readable_entrys_columns_and_options() -> None:
    key = record("K", ("id", "int"))
    entry = confluent_table("t", key, VALUE, 6)
    emulated = emulated_table(entry, key, VALUE).entry
    assert emulated is not None
    assert (emulated.columns, emulated.key_columns, emulated.options) == (
        entry.columns,
        entry.key_columns,
        entry.options,
    )
    assert (emulated.key_reader_schema, emulated.value_reader_schema) == (key, VALUE)


# --- adding to the catalog -----------------------------------------------------------------------


def test_add_to_catalog_skips_internal_known_and_unreadable_topics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    catalog = Catalog.for_state(tmp_path)
    catalog.tables["known"] = confluent_table("known", None, VALUE, 6)
    topics = {"_schemas", "__consumer_offsets", "known", "clicks", "raw", "nested"}
    monkeypatch.setattr(inferred_tables, "list_topics", lambda servers, security: topics)
    monkeypatch.setattr(
        inferred_tables,
        "describe_topics",
        lambda servers, names, security: {n: (2, "delete") for n in names},
    )
    clicks_key = record("ClickKey", ("user_id", "string"))
    registry = FakeRegistry(
        {
            "clicks-key": clicks_key,
            "clicks-value": VALUE,
            "nested-value": record("V", ("tags", {"type": "map", "values": "int"})),
        }
    ).install(monkeypatch)
    said: list[str] = []
    assert inferred_tables.add_to_catalog(settings, catalog, said.append) == ["clicks"]
    assert catalog.tables["clicks"].partitions == 2
    assert [c.name for c in catalog.tables["clicks"].columns] == ["user_id", "url", "n"]
    assert sorted(w.split("`")[1] for w in said) == ["nested", "raw"]
    saved = Catalog.for_state(tmp_path).tables["clicks"]
    assert saved.key_reader_schema == clicks_key
    assert {r.url.path for r in registry.requests} == {
        f"/subjects/{topic}-{part}/versions/latest"
        for topic in ("clicks", "raw", "nested")
        for part in ("key", "value")
    }


def test_add_to_catalog_survives_an_unreachable_broker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(servers: str, security: dict[str, str]) -> set[str]:
        raise ConnectionError("no broker")

    monkeypatch.setattr(inferred_tables, "list_topics", down)
    said: list[str] = []
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    assert inferred_tables.add_to_catalog(settings, Catalog.for_state(tmp_path), said.append) == []
    assert "no broker" in said[0]
