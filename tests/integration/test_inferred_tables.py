"""A topic a Confluent producer wrote first becomes a table a new session reads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.config import Settings
from emulator.kafka.topics import create_topic
from emulator.sql.session import Session
from tests.integration.conftest import read_until

pytestmark = pytest.mark.integration

# The producer's own record names: Flink reads them with records named `clicks_value` / `_key`.
KEY_SCHEMA = """{"type": "record", "name": "ClickKey", "namespace": "com.example.clicks",
  "fields": [{"name": "user_id", "type": "string"}]}"""
VALUE_SCHEMA = """{"type": "record", "name": "Click", "namespace": "com.example.clicks",
  "fields": [
    {"name": "url", "type": "string"},
    {"name": "ts", "type": ["null", {"type": "long", "logicalType": "local-timestamp-millis"}],
     "default": null},
    {"name": "n", "type": "int"}]}"""

CLICKS = [
    {
        "user_id": f"u{i % 3}",
        "url": f"/page/{i}",
        "ts": datetime(2025, 1, 2, 3, 4, i) if i % 2 else None,
        "n": i,
    }
    for i in range(1, 11)
]


def _produce(settings: Settings) -> None:
    assert create_topic(settings.bootstrap_servers, "clicks", 2)
    registry = SchemaRegistryClient({"url": settings.schema_registry_url})
    serialize_key = AvroSerializer(registry, KEY_SCHEMA)
    serialize_value = AvroSerializer(registry, VALUE_SCHEMA)
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    for click in CLICKS:
        producer.produce(
            "clicks",
            key=serialize_key(
                {"user_id": click["user_id"]}, SerializationContext("clicks", MessageField.KEY)
            ),
            value=serialize_value(
                {k: click[k] for k in ("url", "ts", "n")},
                SerializationContext("clicks", MessageField.VALUE),
            ),
        )
    assert producer.flush(30) == 0


def _subjects(settings: Settings) -> dict[str, list[int]]:
    url = settings.schema_registry_url
    return {
        subject: requests.get(f"{url}/subjects/{subject}/versions", timeout=10).json()
        for subject in ("clicks-key", "clicks-value")
    }


def test_topic_written_first_is_an_inferred_table(local_stack: Settings) -> None:
    _produce(local_stack)
    subjects_before = _subjects(local_stack)

    said: list[str] = []
    session = Session(local_stack, say=said.append)
    assert not [line for line in said if "clicks" in line], said

    tables_shown = session.execute_script("SHOW TABLES;")[0]
    assert ("clicks",) in tables_shown.rows

    described = session.execute_script("DESCRIBE clicks;")[0]
    assert [row[:3] for row in described.rows] == [
        ("user_id", "STRING", "NOT NULL"),
        ("url", "STRING", "NOT NULL"),
        ("ts", "TIMESTAMP(3)", "NULL"),
        ("n", "INT", "NOT NULL"),
    ]
    assert described.rows[0][3] == "BUCKET KEY"
    assert session.context.catalog.tables["clicks"].partitions == 2

    session.execute_script("CREATE TABLE clicks_copy AS SELECT user_id, url, n FROM clicks;")
    records = read_until(local_stack, "clicks_copy", lambda r: len(r) >= len(CLICKS))
    got = sorted((r.value for r in records), key=lambda v: v["n"])
    assert got == [{"user_id": c["user_id"], "url": c["url"], "n": c["n"]} for c in CLICKS]

    # The producer's schemas stay as they were: nothing registered under its subjects.
    assert _subjects(local_stack) == subjects_before


def test_timestamps_read_back_as_written(local_stack: Settings) -> None:
    """`ts` (local-timestamp-millis) reaches Flink as the same local date-time."""
    session = Session(local_stack, say=lambda message: None)
    session.execute_script(
        "CREATE TABLE clicks_ts AS SELECT n, DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss') AS ts_text "
        "FROM clicks WHERE ts IS NOT NULL;"
    )
    expected = [c for c in CLICKS if c["ts"] is not None]
    records = read_until(local_stack, "clicks_ts", lambda r: len(r) >= len(expected))
    got = sorted((r.value["n"], r.value["ts_text"]) for r in records)
    assert got == [(c["n"], f"{c['ts']:%Y-%m-%d %H:%M:%S}") for c in expected]


def test_topic_without_key_schema_reads_its_key_as_raw_bytes(local_stack: Settings) -> None:
    """Keys that are plain bytes (no `page_views-key` subject): `key` VARBINARY, raw format;
    the value's own field `key` makes it `key_key` with 'key.fields-prefix' = 'key_'."""
    assert create_topic(local_stack.bootstrap_servers, "page_views", 3)
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    serialize_value = AvroSerializer(
        registry,
        """{"type": "record", "name": "View", "fields": [{"name": "key", "type": "string"},
             {"name": "seconds", "type": ["null", "double"]}]}""",
    )
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    views = [{"key": f"v{i}", "seconds": i / 2 if i % 3 else None} for i in range(6)]
    for i, view in enumerate(views):
        producer.produce(
            "page_views",
            key=f"raw-{i}".encode(),
            value=serialize_value(view, SerializationContext("page_views", MessageField.VALUE)),
        )
    assert producer.flush(30) == 0

    said: list[str] = []
    session = Session(local_stack, say=said.append)
    assert not [line for line in said if "`page_views`" in line], said
    described = session.execute_script("DESCRIBE page_views;")[0]
    assert described.rows == [
        ("key_key", "VARBINARY(2147483647)", "NULL", "BUCKET KEY"),
        ("key", "STRING", "NOT NULL", ""),
        ("seconds", "DOUBLE", "NULL", ""),
    ]
    [shown] = session.execute_script("SHOW CREATE TABLE page_views;")
    assert "'key.format' = 'raw'" in shown.message
    assert "'key.fields-prefix' = 'key_'" in shown.message
    session.execute_script("CREATE TABLE page_views_copy AS SELECT * FROM page_views;")
    records = read_until(local_stack, "page_views_copy", lambda r: len(r) >= len(views))
    got = sorted((r.value for r in records), key=lambda v: v["key"])
    assert got == [{"key_key": f"raw-{i}".encode(), **view} for i, view in enumerate(views)]


# An atomic key, an enum, a nested record and a `timestamp-millis` instant.
SHAPES_VALUE_SCHEMA = """{"type": "record", "name": "Shape", "namespace": "com.example",
  "fields": [
    {"name": "color", "type": {"type": "enum", "name": "Color", "symbols": ["RED", "BLUE"]}},
    {"name": "origin", "type": ["null", {"type": "record", "name": "Point",
      "fields": [{"name": "x", "type": "int"}, {"name": "y", "type": ["null", "int"]}]}],
     "default": null},
    {"name": "seen", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}"""
SHAPES = [
    {
        "color": "RED",
        "origin": {"x": 1, "y": None},
        "seen": datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC),
    },
    {"color": "BLUE", "origin": None, "seen": datetime(2025, 3, 4, 5, 6, 8, tzinfo=UTC)},
]


def test_enums_nested_records_and_instants_are_read_and_an_atomic_key_left_out(
    local_stack: Settings,
) -> None:
    assert create_topic(local_stack.bootstrap_servers, "shapes", 1)
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    serialize_key = AvroSerializer(registry, '"int"')
    serialize_value = AvroSerializer(registry, SHAPES_VALUE_SCHEMA)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    for n, shape in enumerate(SHAPES):
        producer.produce(
            "shapes",
            key=serialize_key(n, SerializationContext("shapes", MessageField.KEY)),
            value=serialize_value(shape, SerializationContext("shapes", MessageField.VALUE)),
        )
    assert producer.flush(30) == 0

    said: list[str] = []
    session = Session(local_stack, say=said.append)
    warnings = [line for line in said if "`shapes`" in line]
    assert len(warnings) == 2, said
    assert "`key`" in warnings[0] and "atomic Avro key" in warnings[0]
    assert "`seen`" in warnings[1] and "UTC" in warnings[1]
    described = session.execute_script("DESCRIBE shapes;")[0]
    assert [row[:3] for row in described.rows] == [
        ("color", "STRING", "NOT NULL"),
        ("origin", "ROW<`x` INT NOT NULL, `y` INT>", "NULL"),
        ("seen", "TIMESTAMP(3)", "NOT NULL"),
    ]
    session.execute_script(
        "CREATE TABLE shapes_flat AS SELECT color, origin.x AS x, origin.y AS y, "
        "DATE_FORMAT(seen, 'yyyy-MM-dd HH:mm:ss') AS seen_text FROM shapes;"
    )
    records = read_until(local_stack, "shapes_flat", lambda r: len(r) >= len(SHAPES))
    assert sorted((r.value for r in records), key=lambda v: v["color"], reverse=True) == [
        {
            "color": shape["color"],
            "x": shape["origin"]["x"] if shape["origin"] else None,
            "y": shape["origin"]["y"] if shape["origin"] else None,
            "seen_text": f"{shape['seen']:%Y-%m-%d %H:%M:%S}",
        }
        for shape in SHAPES
    ]
