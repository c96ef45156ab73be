"""Confluent-dialect statements on the real broker, registry and Flink cluster.

Tables with keys and append mode, a watermark on a value column, a windowing TVF CTAS, a
75-pair JSON_OBJECT CTAS, catalog statements, statement statuses and refusals.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.flink.rest import FlinkRest
from emulator.kafka.topics import list_topics
from emulator.statement_status import refresh, stop
from pyflink_jobs.session import ConfluentSession, StatementError
from tests.integration.conftest import read_until

pytestmark = pytest.mark.integration

START = datetime(2024, 5, 1, 12, 0, 0)
# (order_id, customer, amount, seconds after START): three one-minute windows, then a record
# two minutes later whose watermark (ts - 20 s) closes the first three.
ORDERS = [
    (1, "ana", 10.0, 5),
    (2, "bo", 20.0, 30),
    (3, "ana", 5.5, 59),
    (4, "cy", 7.0, 61),
    (5, "bo", 3.0, 100),
    (6, "ana", 1.0, 130),
    (7, "cy", 2.0, 300),
]

ORDERS_VALUE_SCHEMA = {
    "type": "record",
    "name": "orders_value",
    "namespace": "org.apache.flink.avro.generated.record",
    "fields": [
        {"name": "customer", "type": ["null", "string"], "default": None},
        {"name": "amount", "type": ["null", "double"], "default": None},
        {
            "name": "ts",
            "type": ["null", {"type": "long", "logicalType": "local-timestamp-millis"}],
            "default": None,
        },
    ],
}


@pytest.fixture(scope="module")
def session(local_stack: Settings) -> ConfluentSession:
    return ConfluentSession(local_stack, say=lambda message: None)


@pytest.fixture(scope="module")
def orders(local_stack: Settings, session: ConfluentSession) -> None:
    session.execute_script(
        """
        CREATE TABLE orders (
          order_id INT PRIMARY KEY NOT ENFORCED,
          customer STRING,
          amount DOUBLE,
          ts TIMESTAMP(3),
          WATERMARK FOR ts AS ts - INTERVAL '20' SECOND
        ) DISTRIBUTED BY HASH(order_id) INTO 1 BUCKETS
        WITH ('changelog.mode' = 'append', 'kafka.retention.time' = '0');
        """
    )
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    key_schema = json.dumps(
        {
            "type": "record",
            "name": "orders_key",
            "namespace": "org.apache.flink.avro.generated.record",
            "fields": [{"name": "order_id", "type": "int"}],
        }
    )
    keys = AvroSerializer(registry, key_schema)
    values = AvroSerializer(registry, json.dumps(ORDERS_VALUE_SCHEMA))
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    for order_id, customer, amount, seconds in ORDERS:
        ts = START + timedelta(seconds=seconds)
        producer.produce(
            "orders",
            key=keys({"order_id": order_id}, SerializationContext("orders", MessageField.KEY)),
            value=values(
                {"customer": customer, "amount": amount, "ts": ts},
                SerializationContext("orders", MessageField.VALUE),
            ),
        )
    assert producer.flush(30) == 0


def test_table_creation_provisions_topic_subjects_and_options(
    local_stack: Settings, session: ConfluentSession, orders: None
) -> None:
    topics = list_topics(local_stack.bootstrap_servers)
    assert "orders" in topics
    subjects = requests.get(f"{local_stack.schema_registry_url}/subjects", timeout=10).json()
    assert {"orders-key", "orders-value"} <= set(subjects)
    key = requests.get(
        f"{local_stack.schema_registry_url}/subjects/orders-key/versions/1", timeout=10
    ).json()
    assert json.loads(key["schema"])["name"] == "orders_key"
    [result] = session.execute_script("SHOW CREATE TABLE orders;")
    assert "DISTRIBUTED BY HASH(`order_id`) INTO 1 BUCKETS" in result.message
    assert "'changelog.mode' = 'append'" in result.message
    assert "WATERMARK FOR `ts` AS ts - INTERVAL '20' SECOND" in result.message
    [described] = session.execute_script("DESCRIBE EXTENDED orders;")
    assert ("order_id", "INT", "NOT NULL", "BUCKET KEY") in described.rows
    assert described.rows[-1][0] == "$rowtime"


def test_tumbling_window_ctas_counts_per_minute_on_the_value_watermark(
    local_stack: Settings, session: ConfluentSession, orders: None
) -> None:
    session.execute_script(
        """
        CREATE TABLE orders_per_minute AS
        SELECT window_start, COUNT(*) AS orders, SUM(amount) AS total
        FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' MINUTE))
        GROUP BY window_start, window_end;
        """
    )
    records = read_until(local_stack, "orders_per_minute", lambda r: len(r) >= 3)
    rows = sorted((r.value["window_start"], r.value["orders"], r.value["total"]) for r in records)
    assert [(count, total) for _, count, total in rows] == [(3, 35.5), (2, 10.0), (1, 1.0)]
    # Flink 2.2 writes TIMESTAMP(3) as Avro timestamp-millis (Confluent: local-timestamp-millis);
    # the long is the same, so the wall-clock value is START either way (README, differences).
    assert rows[0][0].replace(tzinfo=None) == START


def test_json_object_with_75_pairs(
    local_stack: Settings, session: ConfluentSession, orders: None
) -> None:
    pairs = ", ".join(f"'k{i}' VALUE amount + {i}" for i in range(75))
    session.execute_script(
        f"CREATE TABLE orders_json AS SELECT order_id, JSON_OBJECT({pairs}) AS doc FROM orders;"
    )
    records = read_until(local_stack, "orders_json", lambda r: len(r) >= len(ORDERS))
    first = next(r.value for r in records if r.value["order_id"] == 1)
    document = json.loads(first["doc"])
    assert len(document) == 75
    assert document["k74"] == 10.0 + 74


def test_statements_have_names_and_statuses(
    local_stack: Settings, session: ConfluentSession, orders: None
) -> None:
    session.execute_script("SET 'client.statement-name' = 'copy-orders';")
    session.execute_script("CREATE TABLE orders_copy AS SELECT * FROM orders;")
    catalog = Catalog.for_state(local_stack.state_dir)
    rest = FlinkRest(local_stack.flink_rest_url)
    statuses = {r.name: r.status for r in refresh(catalog, rest)}
    assert statuses["copy-orders"] in {"PENDING", "RUNNING"}
    assert stop(catalog, rest, "copy-orders").status == "STOPPED"
    job_id = catalog.statements["copy-orders"].job_id
    assert rest.job_state(job_id) == "CANCELED"


def test_drop_table_removes_topic_and_subjects(
    local_stack: Settings, session: ConfluentSession
) -> None:
    session.execute_script("CREATE TABLE scratch (id INT, v STRING) DISTRIBUTED BY (id);")
    session.execute_script("DROP TABLE scratch;")
    assert "scratch" not in list_topics(local_stack.bootstrap_servers)
    subjects = requests.get(f"{local_stack.schema_registry_url}/subjects", timeout=10).json()
    assert not {"scratch-key", "scratch-value"} & set(subjects)
    with pytest.raises(StatementError, match="Table 'scratch' does not exist"):
        session.execute_script("DESCRIBE scratch;")


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("SELECT order_id, PROCTIME() FROM orders;", "processing time"),
        ("CREATE TEMPORARY TABLE t (a INT);", "temporary tables"),
        ("CREATE DATABASE other;", "Kafka clusters"),
        (
            "SELECT COUNT(*) FROM orders GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE);",
            "windowing table-valued functions",
        ),
        ("CREATE TABLE k (a INT) WITH ('connector' = 'kafka');", "no connector option"),
        ("DELETE FROM orders WHERE order_id = 1;", "DELETE is not supported"),
        ("CREATE TABLE orders (a INT);", "Table 'orders' already exists"),
    ],
)
def test_what_confluent_refuses_is_refused_with_position(
    session: ConfluentSession, orders: None, statement: str, message: str
) -> None:
    with pytest.raises(StatementError) as failure:
        session.execute_script(f"\n\n  {statement}", source="script.sql")
    text = str(failure.value)
    assert text.startswith("script.sql:3:3: statement 1:")
    assert message in text


def test_a_primary_key_makes_an_upsert_table(
    local_stack: Settings, session: ConfluentSession
) -> None:
    session.execute_script(
        """
        CREATE TABLE balances (account STRING PRIMARY KEY NOT ENFORCED, balance DOUBLE);
        INSERT INTO balances VALUES ('acme', 1.0), ('acme', 2.5), ('zeta', 7.0);
        """
    )
    [shown] = session.execute_script("SHOW CREATE TABLE balances;")
    assert "'changelog.mode' = 'upsert'" in shown.message
    records = read_until(local_stack, "balances", lambda r: len(r) >= 2)
    latest = {r.key["account"]: r.value["balance"] for r in records}  # keyed, last one wins
    assert latest == {"acme": 2.5, "zeta": 7.0}


def test_a_statement_set_runs_its_inserts_as_one_job(
    local_stack: Settings, session: ConfluentSession, orders: None
) -> None:
    [_, _, result] = session.execute_script(
        """
        CREATE TABLE big_orders (order_id INT, amount DOUBLE);
        CREATE TABLE small_orders (order_id INT, amount DOUBLE);
        EXECUTE STATEMENT SET
        BEGIN
          INSERT INTO big_orders SELECT order_id, amount FROM orders WHERE amount >= 7;
          INSERT INTO small_orders SELECT order_id, amount FROM orders WHERE amount < 7;
        END;
        """
    )
    assert result.job_id
    big = read_until(local_stack, "big_orders", lambda r: len(r) >= 3)
    small = read_until(local_stack, "small_orders", lambda r: len(r) >= 4)
    assert sorted(r.value["order_id"] for r in big) == [1, 2, 4]
    assert sorted(r.value["order_id"] for r in small) == [3, 5, 6, 7]
