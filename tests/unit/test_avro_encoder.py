"""The batch Avro encoder writes exactly what fastavro writes, record by record."""

from __future__ import annotations

import io
import itertools
from datetime import datetime
from typing import Any

import fastavro
import numpy as np
import pyarrow as pa
import pytest

from common.avro.decoder import AvroDecoder
from common.avro.encoder import BatchEncoder, Field
from common.avro.schemas import FieldSpec, record_schema
from common.avro.wire import pack_header
from producers.csv_source import Batch
from tests.avro_batches import batch_of

FIELDS = [
    Field("id", "int", False),
    Field("label", "int", True),
    Field("amount", "double", True),
    Field("note", "string", True),
    Field("v", "double", True),
]
SQL = {"int": "INT", "double": "DOUBLE", "string": "STRING"}
SCHEMA = record_schema("t_value", [FieldSpec(f.name, SQL[f.type], f.nullable) for f in FIELDS])

RECORDS = [
    {"id": 0, "label": 1, "amount": 12.5, "note": "W", "v": None},
    {"id": -1, "label": None, "amount": None, "note": None, "v": 0.0},
    {"id": 2**31 - 1, "label": -(2**31), "amount": -1e300, "note": "héllo wörld", "v": 3.25},
    {"id": 64, "label": 63, "amount": float("inf"), "note": "x" * 300, "v": None},
    {"id": -65, "label": 8192, "amount": 0.1, "note": "", "v": 1e-9},
]


def _batch(records: list[dict]) -> Batch:
    return batch_of(records, FIELDS)


def _fastavro(schema_id: int, schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    """The reference: the header, then fastavro's encoding of one record."""
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), record)
    return pack_header(schema_id) + body.getvalue()


def _decode(message: bytes, schema_id: int, schema: dict[str, Any]) -> dict[str, Any]:
    return AvroDecoder({schema_id: schema}.__getitem__)(message)


def test_batch_encoding_is_byte_identical_to_fastavro() -> None:
    buffer, starts = BatchEncoder(42, FIELDS).encode(_batch(RECORDS))
    assert len(starts) == len(RECORDS) + 1
    for i, record in enumerate(RECORDS):
        assert buffer[starts[i] : starts[i + 1]] == _fastavro(42, SCHEMA, record)


def test_messages_decode_back() -> None:
    buffer, starts = BatchEncoder(7, FIELDS).encode(_batch(RECORDS))
    decoded = [_decode(buffer[a:b], 7, SCHEMA) for a, b in itertools.pairwise(starts)]
    assert decoded[1] == RECORDS[1]
    assert decoded[2]["note"] == "héllo wörld"


def test_a_field_missing_from_the_file_is_written_as_null() -> None:
    batch = _batch(RECORDS[:2])
    del batch.values["label"], batch.nulls["label"]
    buffer, starts = BatchEncoder(1, FIELDS).encode(batch)
    assert _decode(buffer[starts[0] : starts[1]], 1, SCHEMA)["label"] is None


def test_sliced_string_arrays_are_read_at_their_offset() -> None:
    batch = _batch(RECORDS)
    batch.values["note"] = pa.array(["pad", *[r["note"] for r in RECORDS]]).slice(1)
    buffer, starts = BatchEncoder(1, FIELDS).encode(batch)
    assert _decode(buffer[starts[2] : starts[3]], 1, SCHEMA)["note"] == "héllo wörld"


@pytest.mark.parametrize("avro_type", ["boolean", "float", "bytes", "null"])
def test_types_without_a_batch_encoding_are_refused(avro_type: str) -> None:
    with pytest.raises(ValueError, match=avro_type):
        Field("x", avro_type, False)


# The value record's last field: the record's timestamp, `["null", local-timestamp-millis]`.
STAMPED_SCHEMA = {
    **SCHEMA,
    "fields": [
        *SCHEMA["fields"],
        {
            "name": "Timestamp",
            "type": ["null", {"type": "long", "logicalType": "local-timestamp-millis"}],
            "default": None,
        },
    ],
}
INSTANTS = [
    1_700_000_000_123,
    0,
    -1,
    63,
    64,
    -65,
    2**31,
    4_102_444_800_000,  # 2100-01-01
    -(2**62),
    2**63 - 1,
]


def test_timestamp_as_a_field_of_the_batch_encoder_is_byte_identical_to_fastavro() -> None:
    records = [{**RECORDS[i % len(RECORDS)], "Timestamp": ms} for i, ms in enumerate(INSTANTS)]
    batch = _batch(records)
    batch.values["Timestamp"] = np.array(INSTANTS, dtype=np.int64)
    batch.nulls["Timestamp"] = np.zeros(len(INSTANTS), dtype=bool)
    fields = [*FIELDS, Field("Timestamp", "long", True)]
    buffer, starts = BatchEncoder(9, fields).encode(batch)
    for i, record in enumerate(records):
        assert buffer[starts[i] : starts[i + 1]] == _fastavro(9, STAMPED_SCHEMA, record)


def test_timestamp_decodes_as_the_utc_date_time_of_the_instant() -> None:
    batch = _batch(RECORDS[:1])
    batch.values["Timestamp"] = np.array([1_700_000_000_123], dtype=np.int64)
    batch.nulls["Timestamp"] = np.zeros(1, dtype=bool)
    fields = [*FIELDS, Field("Timestamp", "long", True)]
    buffer, starts = BatchEncoder(3, fields).encode(batch)
    decoded = _decode(buffer[starts[0] : starts[1]], 3, STAMPED_SCHEMA)
    assert decoded["Timestamp"] == datetime(2023, 11, 14, 22, 13, 20, 123_000)  # naive: UTC
    assert {k: v for k, v in decoded.items() if k != "Timestamp"} == RECORDS[0]
