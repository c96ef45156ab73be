"""Avro schema resolution rules behind the registry's compatibility levels."""

from __future__ import annotations

import json
from typing import Any

import pytest

from common.avro.schemas import FieldSpec, record_schema
from emulator.schema_registry.compatibility import (
    EarlierVersion,
    check,
    reader_incompatibilities,
)


def can_read(reader: Any, writer: Any) -> bool:
    """`reader` reads what `writer` wrote: no incompatibility found."""
    return not reader_incompatibilities(reader, writer)


def record(*fields: dict[str, Any], name: str = "r", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "ns", "fields": list(fields), **extra}


def f(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


# --- primitives and promotion --------------------------------------------------------------


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        ("int", "int"),
        ("int", "long"),
        ("int", "float"),
        ("int", "double"),
        ("long", "float"),
        ("long", "double"),
        ("float", "double"),
        ("string", "bytes"),
        ("bytes", "string"),
        ("null", "null"),
        ("boolean", "boolean"),
    ],
)
def test_readable_primitives(writer: str, reader: str) -> None:
    assert can_read(json.dumps(reader), json.dumps(writer))


@pytest.mark.parametrize(
    ("writer", "reader"),
    [
        ("long", "int"),
        ("double", "float"),
        ("float", "long"),
        ("double", "long"),
        ("int", "string"),
        ("string", "int"),
        ("boolean", "int"),
        ("null", "int"),
    ],
)
def test_unreadable_primitives(writer: str, reader: str) -> None:
    found = reader_incompatibilities(json.dumps(reader), json.dumps(writer))
    assert [i.kind for i in found] == ["TYPE_MISMATCH"]


def test_logical_types_do_not_take_part() -> None:
    local = {"type": "long", "logicalType": "local-timestamp-millis"}
    utc = {"type": "long", "logicalType": "timestamp-millis"}
    assert can_read(utc, local) and can_read(local, utc)
    assert can_read({"type": "long"}, {"type": "int", "logicalType": "date"})
    assert not can_read({"type": "int", "logicalType": "date"}, utc)


# --- unions --------------------------------------------------------------------------------


def test_reader_union_reads_a_member_or_a_promotable_type() -> None:
    assert can_read(["null", "int"], "int")
    assert can_read(["null", "long"], "int")
    assert not can_read(["null", "string"], "int")
    assert reader_incompatibilities(["null", "string"], "int")[0].kind == "MISSING_UNION_BRANCH"


def test_writer_union_needs_every_branch_readable() -> None:
    # Avro: a nullable writer cannot be read by a non-null reader (its null branch).
    found = reader_incompatibilities("int", ["null", "int"])
    assert [i.kind for i in found] == ["TYPE_MISMATCH"]
    assert "branch 0" in found[0].detail
    assert can_read(["null", "int", "string"], ["int", "null"])
    assert can_read(["null", "double"], ["null", "int", "long"])
    assert not can_read(["null", "int"], ["null", "int", "string"])


# --- records -------------------------------------------------------------------------------


def test_new_reader_field_needs_a_default() -> None:
    writer = record(f("id", "int"))
    with_default = record(f("id", "int"), f("note", ["null", "string"], default=None))
    without = record(f("id", "int"), f("note", "string"))
    assert can_read(with_default, writer)
    found = reader_incompatibilities(without, writer)
    assert [(i.kind, i.path) for i in found] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")
    ]
    assert "'note'" in found[0].detail


def test_writer_fields_the_reader_lacks_are_skipped_and_order_does_not_matter() -> None:
    writer = record(f("a", "int"), f("b", "string"), f("c", "double"))
    reader = record(f("c", "double"), f("a", "long"))
    assert can_read(reader, writer)


def test_field_types_resolve_recursively() -> None:
    writer = record(f("a", "long"))
    reader = record(f("a", "int"))
    found = reader_incompatibilities(reader, writer)
    assert [(i.kind, i.path) for i in found] == [("TYPE_MISMATCH", "/fields/0/type")]


def test_reader_field_alias_matches_a_writer_field() -> None:
    writer = record(f("old_name", "int"))
    reader = record(f("new_name", "int", aliases=["old_name"]))
    assert can_read(reader, writer)
    assert not can_read(record(f("new_name", "int")), writer)


def test_record_names_must_match_but_namespaces_do_not() -> None:
    writer = record(f("a", "int"), name="orders_value")
    renamed = record(f("a", "int"), name="payments_value")
    found = reader_incompatibilities(renamed, writer)
    assert [i.kind for i in found] == ["NAME_MISMATCH"]
    other_namespace = {**writer, "namespace": "org.apache.flink.avro.generated"}
    assert can_read(other_namespace, writer)
    aliased = {**renamed, "aliases": ["ns.orders_value"]}
    assert can_read(aliased, writer)


def test_nested_records_and_named_references() -> None:
    address = {"type": "record", "name": "Address", "fields": [f("city", "string")]}
    writer = record(f("home", address), f("work", ["null", "ns.Address"], default=None))
    reader_address = {
        "type": "record",
        "name": "Address",
        "fields": [f("city", "string"), f("zip", "string")],
    }
    reader = record(f("home", reader_address), f("work", ["null", "Address"], default=None))
    found = reader_incompatibilities(reader, writer)
    # zip is missing in both places the Address record is read.
    assert {(i.kind, i.path) for i in found} == {
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0/type/fields/1"),
        ("MISSING_UNION_BRANCH", "/fields/1/type"),
    }


def test_recursive_records_terminate() -> None:
    node = {
        "type": "record",
        "name": "Node",
        "fields": [f("value", "int"), f("next", ["null", "Node"], default=None)],
    }
    assert can_read(node, node)
    wider = json.loads(json.dumps(node))
    wider["fields"][0]["type"] = "long"
    assert can_read(wider, node)
    assert not can_read(node, wider)


# --- enums, fixed, arrays, maps -------------------------------------------------------------


def test_enum_symbols() -> None:
    writer = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}
    wider = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}
    assert can_read(wider, writer)
    found = reader_incompatibilities(writer, wider)
    assert [i.kind for i in found] == ["MISSING_ENUM_SYMBOLS"]
    assert "BLUE" in found[0].detail
    with_default = {**writer, "default": "RED"}
    assert can_read(with_default, wider)
    assert not can_read({**wider, "name": "Colour"}, writer)


def test_fixed_size_and_name() -> None:
    fixed = {"type": "fixed", "name": "Hash", "size": 16}
    assert can_read(fixed, fixed)
    assert [i.kind for i in reader_incompatibilities({**fixed, "size": 32}, fixed)] == [
        "FIXED_SIZE_MISMATCH"
    ]
    assert not can_read({**fixed, "name": "Other"}, fixed)
    assert not can_read("bytes", fixed)


def test_arrays_and_maps_resolve_their_items() -> None:
    assert can_read({"type": "array", "items": "long"}, {"type": "array", "items": "int"})
    assert not can_read({"type": "array", "items": "int"}, {"type": "array", "items": "long"})
    assert can_read({"type": "map", "values": "double"}, {"type": "map", "values": "float"})
    found = reader_incompatibilities(
        {"type": "map", "values": "int"}, {"type": "map", "values": "string"}
    )
    assert [(i.kind, i.path) for i in found] == [("TYPE_MISMATCH", "/values")]
    assert not can_read({"type": "array", "items": "int"}, {"type": "map", "values": "int"})


# --- levels --------------------------------------------------------------------------------

V1 = json.dumps(record(f("id", "int")))
V2 = json.dumps(record(f("id", "int"), f("note", ["null", "string"], default=None)))
ADD_REQUIRED = json.dumps(record(f("id", "int"), f("note", "string")))
DROP_ID = json.dumps(record(f("note", ["null", "string"], default=None)))


def versions(*schemas: str) -> list[EarlierVersion]:
    return [EarlierVersion(i, s) for i, s in enumerate(schemas, start=1)]


@pytest.mark.parametrize(
    ("level", "new", "compatible"),
    [
        ("BACKWARD", V2, True),  # optional field added: new reads old
        ("BACKWARD", ADD_REQUIRED, False),  # required field added: new cannot read old
        ("BACKWARD", DROP_ID, True),  # field removed: new skips it
        ("FORWARD", ADD_REQUIRED, True),  # old reads new, skipping note
        ("FORWARD", DROP_ID, False),  # old needs id, new data lacks it
        ("FULL", V2, True),
        ("FULL", ADD_REQUIRED, False),
        ("FULL", DROP_ID, False),
        ("NONE", ADD_REQUIRED, True),
        ("NONE", json.dumps("string"), True),
    ],
)
def test_levels_against_the_latest(level: str, new: str, compatible: bool) -> None:
    messages = check(new, versions(V1), level)
    assert (messages == []) is compatible
    if not compatible:
        assert messages[-1] == f"{{compatibility: '{level}'}}"
        assert "{oldSchemaVersion: 1}" in messages


def test_transitive_levels_check_every_earlier_version() -> None:
    # v3 {id, note?} cannot read data of {note?} (no id, and id has no default).
    v3 = json.dumps(record(f("id", "int"), f("note", ["null", "string"], default=None)))
    earlier = versions(V1, DROP_ID)
    assert check(v3, earlier, "BACKWARD") != []  # v2 (latest) has no id
    earlier = versions(DROP_ID, V2)
    assert check(v3, earlier, "BACKWARD") == []  # same as latest
    messages = check(v3, earlier, "BACKWARD_TRANSITIVE")
    assert "{oldSchemaVersion: 1}" in messages and "{oldSchemaVersion: 2}" not in messages
    assert check(v3, earlier, "FORWARD_TRANSITIVE") == []
    assert check(v3, earlier, "FULL_TRANSITIVE") != []


def test_messages_say_which_schema_reads() -> None:
    (backward,) = [m for m in check(ADD_REQUIRED, versions(V1), "BACKWARD") if "errorType" in m]
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in backward
    assert "The new schema (reading)" in backward and "'note'" in backward
    (forward,) = [m for m in check(DROP_ID, versions(V1), "FORWARD") if "errorType" in m]
    assert "The old schema (reading)" in forward and "'id'" in forward


# --- the emulator's own schema shapes ------------------------------------------------------


def table_schema(*specs: FieldSpec, flink_reader: bool = False) -> str:
    return json.dumps(record_schema("t_value", list(specs), flink_reader))


def test_flink_sink_schema_follows_the_table_schema_both_ways() -> None:
    # CREATE TABLE registers TIMESTAMP(3) as local-timestamp-millis; Flink's sink then
    # registers its own schema with timestamp-millis. Only the logical type differs.
    specs = [FieldSpec("id", "INT", False), FieldSpec("ts", "TIMESTAMP(3)", True)]
    table = table_schema(*specs)
    sink = table_schema(*specs, flink_reader=True)
    assert table != sink
    assert check(sink, versions(table), "FULL_TRANSITIVE") == []


def test_nullable_test_split_after_a_not_null_table() -> None:
    # The pipeline's table has `isFraud INT NOT NULL`; a producer of Kaggle's test file
    # registers isFraud as ["null", "int"]: the new schema reads the old data.
    table = table_schema(FieldSpec("isFraud", "INT", False), FieldSpec("amt", "DOUBLE", True))
    test_split = table_schema(FieldSpec("isFraud", "INT", True), FieldSpec("amt", "DOUBLE", True))
    assert check(test_split, versions(table), "BACKWARD") == []
    # ...but the not-null schema registered after the nullable one is refused, as in Avro.
    assert check(table, versions(test_split), "BACKWARD") != []


def test_not_null_producer_after_a_nullable_table_is_refused() -> None:
    # CREATE TABLE t (id INT, ...) registers ["null","int"]; a producer registering "int"
    # cannot read records the table's schema allows (null ids): Confluent refuses it too.
    table = table_schema(FieldSpec("id", "INT", True))
    producer = table_schema(FieldSpec("id", "INT", False))
    messages = check(producer, versions(table), "BACKWARD")
    assert messages and "TYPE_MISMATCH" in messages[0]
    assert check(producer, versions(table), "FORWARD") == []
