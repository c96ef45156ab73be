"""Producing to a table as declared: each registered field finds its CSV column, its timestamp
field, or is refused by name before anything is sent."""

from __future__ import annotations

import pytest

from common.avro.encoder import INTEGER_RANGES, Field
from common.ieee_cis import Kind
from emulator.dialect.statements import parse
from emulator.tables import key_schema, table_entry, value_schema
from producers.declared import CsvColumn, DeclaredSchemaError, plan_record

HEADER = ["TransactionID", "isFraud", "TransactionDT", "TransactionAmt", "ProductCD", "card1"]


def declared(ddl: str) -> tuple[dict | None, dict]:
    table = table_entry(parse(ddl))
    return key_schema(table), value_schema(table)


def test_fields_take_their_columns_with_the_declared_types_and_nullability() -> None:
    _, value = declared(
        "CREATE TABLE t (TransactionID INT NOT NULL, card1 BIGINT, TransactionAmt DOUBLE, "
        "ProductCD STRING, `Timestamp` TIMESTAMP(3), extra STRING)"
    )
    plan = plan_record("t", "value", 7, value, HEADER, "Timestamp")
    assert plan.schema_id == 7 and plan.timestamp == "Timestamp" and plan.unfilled == ["extra"]
    assert plan.fields == [
        Field("TransactionID", "int", False),
        Field("card1", "long", True),
        Field("TransactionAmt", "double", True),
        Field("ProductCD", "string", True),
        Field("Timestamp", "long", True),
        Field("extra", "long", True),  # always null
    ]
    assert plan.columns == [
        CsvColumn("TransactionID", Kind.INT, False, INTEGER_RANGES["int"]),
        CsvColumn("card1", Kind.INT, True, INTEGER_RANGES["long"]),
        CsvColumn("TransactionAmt", Kind.FLOAT, True),
        CsvColumn("ProductCD", Kind.STRING, True),
    ]


def test_without_a_timestamp_option_a_timestamp_field_is_an_ordinary_nullable_one() -> None:
    _, value = declared("CREATE TABLE t (TransactionID INT NOT NULL, `Timestamp` TIMESTAMP(3))")
    plan = plan_record("t", "value", 1, value, HEADER, None)
    assert plan.timestamp is None and plan.unfilled == ["Timestamp"]


def test_a_keyed_tables_key_record_takes_its_column() -> None:
    key, _ = declared(
        "CREATE TABLE t (TransactionID INT NOT NULL, card1 INT) "
        "DISTRIBUTED BY HASH(TransactionID) INTO 6 BUCKETS"
    )
    assert key is not None
    plan = plan_record("t", "key", 3, key, HEADER, None)
    assert plan.columns == [CsvColumn("TransactionID", Kind.INT, False, INTEGER_RANGES["int"])]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("card9 INT NOT NULL", "`card9` (int, not null) has no column in the CSV file"),
        ("card1 BOOLEAN", "`card1` (boolean): the replay writes CSV text as INT"),
        ("card1 FLOAT", "`card1` (float): the replay writes CSV text as INT"),
        ("ProductCD DATE", "`ProductCD` (date): the replay writes CSV text as INT"),
        ("`Timestamp` TIMESTAMP(3) NOT NULL", "`Timestamp` (local-timestamp-millis, not null)"),
    ],
)
def test_what_the_replay_cannot_write_is_refused_naming_the_table_and_field(
    column: str, message: str
) -> None:
    _, value = declared(f"CREATE TABLE orders (TransactionID INT NOT NULL, {column})")
    with pytest.raises(DeclaredSchemaError) as refused:
        plan_record("orders", "value", 1, value, HEADER, None)
    assert str(refused.value).startswith("table `orders`: value field ")
    assert message in str(refused.value)


def test_a_union_flink_would_not_register_is_refused() -> None:
    schema = {"type": "record", "name": "r", "fields": [{"name": "a", "type": ["int", "null"]}]}
    with pytest.raises(DeclaredSchemaError, match=r'\["null", T\]'):
        plan_record("t", "value", 1, schema, HEADER, None)
