"""The header of Confluent's wire format: magic byte 0, then the schema id, 4 bytes big-endian.

Every Avro key and value on a Confluent topic starts with it; the Avro body follows.
"""

from __future__ import annotations

import struct

MAGIC_BYTE = 0
_HEADER = struct.Struct(">bI")
HEADER_SIZE = _HEADER.size


def pack_header(schema_id: int) -> bytes:
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def unpack_header(message: bytes) -> int:
    """The schema id a message was written with; ValueError when it has no such header."""
    if len(message) < HEADER_SIZE or message[0] != MAGIC_BYTE:
        raise ValueError("not in Confluent wire format (magic byte 0 and schema id expected)")
    return _HEADER.unpack_from(message)[1]
