"""Avro in Confluent's wire format for a whole batch of rows at once, with numpy.

Encoding record by record (fastavro's `schemaless_writer`, one dict per row) costs tens of
microseconds per row and dominates a replay. The producers' records are flat: `int`, `long`,
`double` and `string` fields, each plain or a `["null", T]` union, so a batch can be laid out
column by column instead: each field's byte length per row, row offsets from their cumulative
sum, then every field written into one buffer with vectorised scatters. Message `i` is
`buffer[starts[i]:starts[i + 1]]`: magic byte, schema id, Avro body, byte-identical to what
fastavro writes for the same record (tests/unit/test_avro_encoder.py checks it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from common.avro.wire import HEADER_SIZE, pack_header

_MAX_VARINT = 10
_VARINTS = frozenset({"int", "long"})  # zigzag varints, whatever their width
TYPES = frozenset({*_VARINTS, "double", "string"})
# What each integer type holds: a wider value still encodes, but Avro readers refuse it.
INTEGER_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


@dataclass(frozen=True)
class Field:
    """One Avro field: its type (one of `TYPES`), and whether it is a ["null", T] union."""

    name: str
    type: str
    nullable: bool

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"field {self.name}: Avro type {self.type!r} is not batch-encoded")


class ColumnBatch(Protocol):
    """Rows column by column: `values[name]` an int64 or float64 array or an Arrow string
    array, `nulls[name]` a bool array marking missing values (as the producers read a CSV)."""

    @property
    def rows(self) -> int: ...

    @property
    def values(self) -> Mapping[str, Any]: ...

    @property
    def nulls(self) -> Mapping[str, np.ndarray]: ...


def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _varint_lengths(z: np.ndarray) -> np.ndarray:
    lengths = np.ones(len(z), dtype=np.int64)
    for k in range(1, _MAX_VARINT):
        lengths += z >= np.uint64(1 << (7 * k))
    return lengths


def _write_varints(buf: np.ndarray, at: np.ndarray, z: np.ndarray, lengths: np.ndarray) -> None:
    for k in range(int(lengths.max(initial=0))):
        sel = lengths > k
        chunk = (z[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (lengths[sel] > k + 1).astype(np.uint64) << np.uint64(7)
        buf[at[sel] + k] = (chunk | more).astype(np.uint8)


class BatchEncoder:
    """Encodes batches of one registered schema whose fields are `fields`, in that order."""

    def __init__(self, schema_id: int, fields: list[Field]) -> None:
        self.schema_id = schema_id
        self.fields = fields
        self._header = np.frombuffer(pack_header(schema_id), dtype=np.uint8)

    def encode(self, batch: ColumnBatch) -> tuple[bytes, list[int]]:
        """All rows of `batch` as one buffer and the n + 1 message boundaries in it."""
        n = batch.rows
        lengths = np.empty((n, len(self.fields)), dtype=np.int64)
        prepared: list[tuple[Field, np.ndarray, Any]] = []
        for j, field in enumerate(self.fields):
            nulls, payload, size = self._measure(field, batch, n)
            lengths[:, j] = size
            prepared.append((field, nulls, payload))
        row_lengths = lengths.sum(axis=1) + HEADER_SIZE
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(row_lengths, out=starts[1:])
        positions = starts[:-1, None] + HEADER_SIZE + (np.cumsum(lengths, axis=1) - lengths)
        buf = np.zeros(int(starts[-1]), dtype=np.uint8)
        buf[starts[:-1, None] + np.arange(HEADER_SIZE)] = self._header
        doubles = [
            j for j, (f, _, p) in enumerate(prepared) if f.type == "double" and p is not None
        ]
        if doubles:
            self._write_doubles(buf, positions, prepared, doubles)
        for j, (field, nulls, payload) in enumerate(prepared):
            if field.type == "double" or payload is None:
                continue  # doubles are written above; an absent field is all nulls (zeros)
            at = positions[:, j]
            if field.nullable:
                present = ~nulls
                at = at[present]
                buf[at] = 2  # union branch 1 (zigzag 1): the non-null type
                at = at + 1
            else:
                present = slice(None)
            if field.type in _VARINTS:
                z, lens = payload
                _write_varints(buf, at, z[present], lens[present])
            else:
                self._write_strings(buf, at, present, payload)
        return buf.tobytes(), starts.tolist()

    @staticmethod
    def _measure(field: Field, batch: ColumnBatch, n: int) -> tuple[np.ndarray, Any, np.ndarray]:
        """(null mask, what the writer needs, byte length of the field per row)."""
        if field.name not in batch.values:  # e.g. isFraud in an unlabelled (test) file
            if not field.nullable:
                raise ValueError(f"field {field.name} is missing and not nullable")
            return np.ones(n, dtype=bool), None, np.ones(n, dtype=np.int64)
        nulls = batch.nulls[field.name]
        if nulls.any() and not field.nullable:
            raise ValueError(f"field {field.name} has missing values and is not nullable")
        union = 1 if field.nullable else 0
        values = batch.values[field.name]
        if field.type == "double":
            return nulls, values, np.where(nulls, 1, union + 8)
        if field.type in _VARINTS:
            z = _zigzag(values)
            lens = _varint_lengths(z)
            return nulls, (z, lens), np.where(nulls, 1, union + lens)
        offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)
        offsets = offsets[values.offset : values.offset + n + 1].astype(np.int64)
        data_buffer = values.buffers()[2]
        data = (
            np.frombuffer(data_buffer, dtype=np.uint8)
            if data_buffer is not None
            else np.empty(0, np.uint8)
        )
        byte_lengths = np.diff(offsets)
        z = _zigzag(byte_lengths)
        lens = _varint_lengths(z)
        payload = (offsets[:-1], byte_lengths, z, lens, data)
        return nulls, payload, np.where(nulls, 1, union + lens + byte_lengths)

    @staticmethod
    def _write_doubles(
        buf: np.ndarray,
        positions: np.ndarray,
        prepared: list[tuple[Field, np.ndarray, Any]],
        columns: list[int],
    ) -> None:
        """Every double column in one scatter: [branch byte] + 8 little-endian bytes."""
        values = np.column_stack([prepared[j][2] for j in columns]).astype("<f8")
        nulls = np.column_stack([prepared[j][1] for j in columns])
        nullable = np.array([prepared[j][0].nullable for j in columns])
        at = positions[:, columns]
        present = ~nulls
        at_present = at[present]
        branch = np.broadcast_to(nullable, at.shape)[present]
        buf[at_present[branch]] = 2
        start = at_present + branch
        buf[start[:, None] + np.arange(8)] = values[present].view(np.uint8).reshape(-1, 8)

    @staticmethod
    def _write_strings(buf: np.ndarray, at: np.ndarray, present: Any, payload: Any) -> None:
        src, byte_lengths, z, lens, data = payload
        src, byte_lengths, z, lens = src[present], byte_lengths[present], z[present], lens[present]
        _write_varints(buf, at, z, lens)
        total = int(byte_lengths.sum())
        if total == 0:
            return
        first = np.zeros(len(byte_lengths), dtype=np.int64)
        np.cumsum(byte_lengths[:-1], out=first[1:])
        within = np.arange(total) - np.repeat(first, byte_lengths)
        buf[np.repeat(at + lens, byte_lengths) + within] = data[
            np.repeat(src, byte_lengths) + within
        ]
