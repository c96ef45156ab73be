"""Confluent's wire format: the header, our encoder and decoder against confluent-kafka's
serializer, and the Avro schemas built from SQL column types."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from common.avro.decoder import AvroDecoder
from common.avro.encoder import BatchEncoder, Field
from common.avro.schemas import (
    NAMESPACE,
    FieldSpec,
    SchemaMappingError,
    avro_type,
    key_record_name,
    record_schema,
    value_record_name,
)
from common.avro.wire import pack_header, unpack_header
from tests.avro_batches import batch_of

SPECS = [
    FieldSpec("id", "INT", nullable=False),
    FieldSpec("amount", "DOUBLE"),
    FieldSpec("note", "STRING"),
    FieldSpec("big", "BIGINT", nullable=False),
]
SCHEMA: dict[str, Any] = record_schema(value_record_name("orders"), SPECS)
FIELDS = [Field(s.name, avro_type(s.sql_type), s.nullable) for s in SPECS]
RECORD = {"id": 7, "amount": 12.5, "note": "héllo", "big": 2**40}
RECORD_WITH_NULLS = {"id": -3, "amount": None, "note": None, "big": 0}


def _encode(schema_id: int, record: dict[str, Any]) -> bytes:
    """One record through the producers' batch encoder."""
    buffer, starts = BatchEncoder(schema_id, FIELDS).encode(batch_of([record], FIELDS))
    assert starts == [0, len(buffer)]
    return buffer


def test_header_is_magic_byte_and_big_endian_id() -> None:
    message = _encode(0x01020304, RECORD)
    assert message[0] == 0
    assert message[1:5] == b"\x01\x02\x03\x04"
    assert struct.unpack(">I", message[1:5])[0] == 0x01020304
    assert message[:5] == pack_header(0x01020304)
    assert unpack_header(message) == 0x01020304
    assert len(message) > 5


@pytest.mark.parametrize("record", [RECORD, RECORD_WITH_NULLS])
def test_decode_round_trips(record: dict[str, Any]) -> None:
    message = _encode(42, record)
    assert AvroDecoder({42: SCHEMA}.__getitem__)(message) == record


def test_decode_picks_the_writer_schema_by_id() -> None:
    other = record_schema("other", [FieldSpec("x", "STRING", nullable=False)])
    buffer, _ = BatchEncoder(2, [Field("x", "string", False)]).encode(
        batch_of([{"x": "abc"}], [Field("x", "string", False)])
    )
    assert AvroDecoder({1: SCHEMA, 2: other}.__getitem__)(buffer) == {"x": "abc"}


def test_decode_looks_each_schema_up_once_and_takes_json_text() -> None:
    asked: list[int] = []

    def lookup(schema_id: int) -> str:
        asked.append(schema_id)
        return json.dumps(SCHEMA)

    decode = AvroDecoder(lookup)
    assert [decode(_encode(5, r)) for r in (RECORD, RECORD_WITH_NULLS)] == [
        RECORD,
        RECORD_WITH_NULLS,
    ]
    assert asked == [5]


@pytest.mark.parametrize("message", [b"", b"\x00\x00", b"\x01\x00\x00\x00\x01\x02", b"{}"])
def test_decode_rejects_non_wire_messages(message: bytes) -> None:
    with pytest.raises(ValueError):
        AvroDecoder({1: SCHEMA}.__getitem__)(message)


def test_decode_rejects_unknown_schema_id() -> None:
    message = _encode(9, RECORD)
    with pytest.raises(KeyError):
        AvroDecoder({1: SCHEMA}.__getitem__)(message)


def _mock_registry() -> SchemaRegistryClient:
    # In confluent-kafka 2.16 the constructor always builds an HTTP client; `new_client` is
    # what hands out the in-memory mock for "mock://" URLs.
    client = SchemaRegistryClient.new_client({"url": "mock://wire-tests"})
    # Take id 1 with another schema so the record's schema id is not the trivial default.
    client.register_schema("unrelated-value", Schema(json.dumps({"type": "string"}), "AVRO"))
    return client


@pytest.mark.parametrize("record", [RECORD, RECORD_WITH_NULLS])
def test_bytes_equal_confluent_avro_serializer(record: dict[str, Any]) -> None:
    client = _mock_registry()
    schema_text = json.dumps(SCHEMA)
    schema_id = client.register_schema("orders-value", Schema(schema_text, "AVRO"))
    assert schema_id == 2
    serializer = AvroSerializer(client, schema_text, conf={"auto.register.schemas": False})
    theirs = serializer(record, SerializationContext("orders", MessageField.VALUE))
    assert _encode(schema_id, record) == theirs


def test_decode_reads_confluent_serializer_output_and_vice_versa() -> None:
    client = _mock_registry()
    schema_text = json.dumps(SCHEMA)
    serializer = AvroSerializer(client, schema_text)
    context = SerializationContext("orders", MessageField.VALUE)
    message = serializer(RECORD, context)
    schema_id = client.get_latest_version("orders-value").schema_id
    assert unpack_header(message) == schema_id
    assert AvroDecoder.of_registry(client)(message) == RECORD

    deserializer = AvroDeserializer(client)
    assert deserializer(_encode(schema_id, RECORD_WITH_NULLS), context) == RECORD_WITH_NULLS


# --- common/avro/schemas.py -----------------------------------------------------------------


def test_nullable_and_not_null_fields() -> None:
    schema = record_schema(
        "t_value", [FieldSpec("a", "DOUBLE"), FieldSpec("b", "INT", nullable=False)]
    )
    assert schema == {
        "type": "record",
        "name": "t_value",
        "namespace": NAMESPACE,
        "fields": [
            {"name": "a", "type": ["null", "double"], "default": None},
            {"name": "b", "type": "int"},
        ],
    }
    assert NAMESPACE == "org.apache.flink.avro.generated.record"


def test_record_names() -> None:
    assert value_record_name("orders") == "orders_value"
    assert key_record_name("orders") == "orders_key"


@pytest.mark.parametrize(
    ("sql_type", "expected"),
    [
        ("INT", "int"),
        ("integer", "int"),
        ("BIGINT", "long"),
        ("DOUBLE", "double"),
        ("DOUBLE  PRECISION", "double"),
        ("STRING", "string"),
        ("VARCHAR(10)", "string"),
        ("BOOLEAN", "boolean"),
        ("BYTES", "bytes"),
        ("TIMESTAMP(3)", {"type": "long", "logicalType": "local-timestamp-millis"}),
        ("timestamp(3)", {"type": "long", "logicalType": "local-timestamp-millis"}),
        ("TIMESTAMP(6)", {"type": "long", "logicalType": "local-timestamp-micros"}),
        ("TIMESTAMP", {"type": "long", "logicalType": "local-timestamp-micros"}),
        ("TIMESTAMP_LTZ(3)", {"type": "long", "logicalType": "timestamp-millis"}),
        ("TIMESTAMP_LTZ", {"type": "long", "logicalType": "timestamp-millis"}),
        (
            "TIMESTAMP(3) WITH LOCAL TIME ZONE",
            {"type": "long", "logicalType": "timestamp-millis"},
        ),
        ("DATE", {"type": "int", "logicalType": "date"}),
        (
            "DECIMAL(10, 2)",
            {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
        ),
    ],
)
def test_avro_type(sql_type: str, expected: Any) -> None:
    assert avro_type(sql_type) == expected


def test_timestamp_field_nullable_wraps_logical_type() -> None:
    schema = record_schema("t", [FieldSpec("ts", "TIMESTAMP_LTZ(3)")])
    assert schema["fields"][0] == {
        "name": "ts",
        "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}],
        "default": None,
    }


@pytest.mark.parametrize(
    "sql_type",
    [
        "GEOMETRY",
        "ARRAY<INT>",
        "MAP<STRING, INT>",
        "",
        # A known type's name followed by text Flink cannot read (found by the dialect fuzzing).
        "VARBINARY(2147483647) IMARY KEY NOT ENFORCED",
        "CHAR(3) junk",
        "VARCHAR(",
        "BINARYX",
        "CHARACTER VARYING(3) X",
    ],
)
def test_an_unknown_type_is_refused_as_a_user_error(sql_type: str) -> None:
    with pytest.raises(SchemaMappingError):
        avro_type(sql_type)
    with pytest.raises(SchemaMappingError, match="column `x`"):
        record_schema("t", [FieldSpec("x", sql_type)])
