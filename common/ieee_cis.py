"""The IEEE-CIS columns: Kaggle headers, their types, and the subset the pipeline streams.

One place for every module that reads, writes or types these columns (generator, loader,
Avro schemas, training), so a header or a type is never spelled twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from common.avro.encoder import INTEGER_RANGES


class Kind(Enum):
    """How a column is typed in the CSV (pandas dtype as read) and in Avro / Flink SQL."""

    INT = "int"  # never missing; Avro "int"/"long", SQL INT/BIGINT
    FLOAT = "float"  # may be missing; Avro ["null","double"], SQL DOUBLE
    STRING = "string"  # may be missing; Avro ["null","string"], SQL STRING


_SQL_TYPES = {Kind.INT: "INT", Kind.FLOAT: "DOUBLE", Kind.STRING: "STRING"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self.kind]

    @property
    def nullable(self) -> bool:
        return self.kind is not Kind.INT

    @property
    def int_range(self) -> tuple[int, int]:
        """An INT column's values: SQL INT, written as Avro `int`."""
        return INTEGER_RANGES["int"]


def _numbered(prefix: str, first: int, last: int, width: int = 0) -> list[str]:
    return [f"{prefix}{str(i).zfill(width)}" for i in range(first, last + 1)]


_TRANSACTION_INT = {"TransactionID", "isFraud", "TransactionDT", "card1"}
_TRANSACTION_STRING = {
    "ProductCD",
    "card4",
    "card6",
    "P_emaildomain",
    "R_emaildomain",
    *_numbered("M", 1, 9),
}

TRANSACTION_HEADER: list[str] = [
    "TransactionID",
    "isFraud",
    "TransactionDT",
    "TransactionAmt",
    "ProductCD",
    *_numbered("card", 1, 6),
    "addr1",
    "addr2",
    "dist1",
    "dist2",
    "P_emaildomain",
    "R_emaildomain",
    *_numbered("C", 1, 14),
    *_numbered("D", 1, 15),
    *_numbered("M", 1, 9),
    *_numbered("V", 1, 339),
]

_IDENTITY_STRING = {
    "id_12",
    "id_15",
    "id_16",
    "id_23",
    *_numbered("id_", 27, 31),
    *_numbered("id_", 33, 38),
    "DeviceType",
    "DeviceInfo",
}

IDENTITY_HEADER: list[str] = [
    "TransactionID",
    *_numbered("id_", 1, 38, width=2),
    "DeviceType",
    "DeviceInfo",
]


def _kind(name: str, ints: set[str], strings: set[str]) -> Kind:
    if name in ints:
        return Kind.INT
    if name in strings:
        return Kind.STRING
    return Kind.FLOAT


TRANSACTION_COLUMNS: list[Column] = [
    Column(n, _kind(n, _TRANSACTION_INT, _TRANSACTION_STRING)) for n in TRANSACTION_HEADER
]
IDENTITY_COLUMNS: list[Column] = [
    Column(n, _kind(n, {"TransactionID"}, _IDENTITY_STRING)) for n in IDENTITY_HEADER
]

# What the pipeline streams: every transaction column but the 339 Vesta V columns, and the
# whole identity row. The topics carry these; the Kafka key is TransactionID.
PIPELINE_TRANSACTION_COLUMNS: list[Column] = [
    c for c in TRANSACTION_COLUMNS if not (c.name.startswith("V") and c.name[1:].isdigit())
]
PIPELINE_IDENTITY_COLUMNS: list[Column] = IDENTITY_COLUMNS

KEY_COLUMN = "TransactionID"


def normalize_identity_name(name: str) -> str:
    """Kaggle's test_identity.csv spells `id-01`; the train file and the pipeline use `id_01`."""
    return name.replace("id-", "id_") if name.startswith("id-") else name
