"""Confluent-dialect statements on the real broker, registry and Flink cluster.

Tables with keys and append mode, a watermark on a value column, a windowing TVF CTAS, a
75-pair JSON_OBJECT CTAS, catalog statements, statement statuses and refusals; metadata and
computed columns, raw keys, and a SELECT * CTAS over a join whose sides share column names.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.flink.rest import FlinkRest
from emulator.kafka.topics import list_topics
from emulator.sql.errors import StatementError
from emulator.sql.session import Session
from emulator.sql.statements import refresh, stop
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
def session(local_stack: Settings) -> Session:
    return Session(local_stack, say=lambda message: None)


@pytest.fixture(scope="module")
def orders(local_stack: Settings, session: Session) -> None:
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
    local_stack: Settings, session: Session, orders: None
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
    local_stack: Settings, session: Session, orders: None
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


def test_json_object_with_75_pairs(local_stack: Settings, session: Session, orders: None) -> None:
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
    local_stack: Settings, session: Session, orders: None
) -> None:
    session.execute_script("SET 'client.statement-name' = 'copy-orders';")
    session.execute_script("CREATE TABLE orders_copy AS SELECT * FROM orders;")
    catalog = Catalog.for_state(local_stack.state_dir)
    rest = FlinkRest(local_stack.flink_rest_url)
    statuses = {r.name: r.status for r in refresh(catalog, rest)}
    assert statuses["copy-orders"] in {"PENDING", "RUNNING"}
    assert stop(catalog, rest, local_stack, "copy-orders").status == "STOPPED"
    job_id = catalog.statements["copy-orders"].job_id
    # Stopped with a savepoint once running (FINISHED); cancelled if it was still starting.
    assert rest.job_state(job_id) in {"FINISHED", "CANCELED"}


def test_session_scan_options_bound_the_next_statements(
    local_stack: Settings, orders: None
) -> None:
    # A fresh session: its SET applies to its own statements from here on, as on Confluent.
    bounded = Session(local_stack, say=lambda message: None)
    bounded.execute_script(
        "SET 'sql.tables.scan.bounded.mode' = 'latest-offset';"
        "SET 'client.statement-name' = 'copy-orders-so-far';"
        "CREATE TABLE orders_so_far AS SELECT order_id, amount FROM orders;"
    )
    catalog = Catalog.for_state(local_stack.state_dir)
    rest = FlinkRest(local_stack.flink_rest_url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = {r.name: r.status for r in refresh(catalog, rest)}["copy-orders-so-far"]
        if status != "RUNNING" and status != "PENDING":
            break
        time.sleep(2)
    # Bounded at the offsets it found: the job copies what was there and finishes.
    assert status == "COMPLETED"
    records = read_until(local_stack, "orders_so_far", lambda got: len(got) >= len(ORDERS))
    assert sorted(r.value["order_id"] for r in records) == [o[0] for o in ORDERS]


def test_drop_table_removes_topic_and_subjects(local_stack: Settings, session: Session) -> None:
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
    session: Session, orders: None, statement: str, message: str
) -> None:
    with pytest.raises(StatementError) as failure:
        session.execute_script(f"\n\n  {statement}", source="script.sql")
    text = str(failure.value)
    assert text.startswith("script.sql:3:3: statement 1:")
    assert message in text


def test_a_primary_key_makes_an_upsert_table(local_stack: Settings, session: Session) -> None:
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
    local_stack: Settings, session: Session, orders: None
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


def _subjects(settings: Settings) -> set[str]:
    return set(requests.get(f"{settings.schema_registry_url}/subjects", timeout=10).json())


def _value_fields(settings: Settings, table: str) -> list[str]:
    url = f"{settings.schema_registry_url}/subjects/{table}-value/versions/latest"
    schema = json.loads(requests.get(url, timeout=10).json()["schema"])
    return [f["name"] for f in schema["fields"]]


# (id, note, record timestamp in ms) written through a `timestamp` metadata column.
META_EVENTS = [
    (1, "a", 1_714_564_800_000),
    (2, "b", 1_714_564_801_500),
    (3, "c", 1_714_564_803_250),
]


def test_metadata_columns_write_the_record_timestamp_and_read_kafkas_metadata(
    local_stack: Settings, session: Session
) -> None:
    rows = ", ".join(
        f"({i}, '{note}', TO_TIMESTAMP_LTZ({ms}, 3), MAP[CAST('trace' AS STRING), ENCODE('t{i}', "
        "'UTF-8')])"
        for i, note, ms in META_EVENTS
    )
    session.execute_script(
        f"""
        CREATE TABLE meta_events (
          id INT,
          note STRING,
          ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
          headers MAP<STRING, BYTES> METADATA,
          `offset` BIGINT METADATA VIRTUAL,
          `partition` INT METADATA VIRTUAL,
          ts_type STRING METADATA FROM 'timestamp-type' VIRTUAL,
          src STRING METADATA FROM 'topic' VIRTUAL,
          doubled AS id * 2 COMMENT 'computed'
        ) DISTRIBUTED INTO 2 BUCKETS WITH ('kafka.retention.time' = '0');
        INSERT INTO meta_events VALUES {rows};
        """
    )
    # On the topic: the record timestamps written through `ts`; only physical columns in the
    # value, and in the registered schema.
    records = read_until(local_stack, "meta_events", lambda r: len(r) >= len(META_EVENTS))
    by_id = {r.value["id"]: r for r in records}
    assert {i: r.timestamp_ms for i, r in by_id.items()} == {i: ms for i, _, ms in META_EVENTS}
    assert all(set(r.value) == {"id", "note"} for r in records)
    assert _value_fields(local_stack, "meta_events") == ["id", "note"]

    # Read back through Flink: Kafka's offset and partition of each record, and the rest.
    result = session.select(
        "SELECT id, `offset`, `partition`, ts_type, src, doubled, "
        "DECODE(headers['trace'], 'UTF-8') AS trace, CAST(ts AS STRING) AS ts_text "
        "FROM meta_events",
        max_rows=len(META_EVENTS),
    )
    expected = [
        (
            i,
            by_id[i].offset,
            by_id[i].partition,
            "CreateTime",
            "meta_events",
            2 * i,
            f"t{i}",
            datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        )
        for i, _, ms in META_EVENTS
    ]
    assert sorted(result.rows) == expected

    # Virtual metadata columns stay out of SELECT *; `$rowtime` follows `ts` as a computed
    # column here (README, differences), so it shows. (Asked of the planner: PyFlink 2.2
    # cannot hand TIMESTAMP_LTZ values to Python.)
    star = (
        session.context.flink.t_env.sql_query("SELECT * FROM meta_events")
        .get_schema()
        .get_field_names()
    )
    assert star == ["id", "note", "ts", "headers", "doubled", "$rowtime"]

    [shown] = session.execute_script("SHOW CREATE TABLE meta_events;")
    assert "`offset` BIGINT METADATA FROM 'offset' VIRTUAL" in shown.message
    assert "`ts` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp'," in shown.message
    assert "`doubled` AS id * 2" in shown.message
    [described] = session.execute_script("DESCRIBE meta_events;")
    extras = {row[0]: row[1:] for row in described.rows}
    assert extras["doubled"] == ("INT", "NULL", "AS id * 2")
    assert extras["partition"] == ("INT", "NULL", "METADATA FROM 'partition' VIRTUAL")
    assert extras["headers"] == ("MAP<STRING, BYTES>", "NULL", "METADATA FROM 'headers'")


def _raw_keys(settings: Settings, topic: str, count: int, timeout: float = 120.0) -> list[bytes]:
    """The keys of the first `count` records of `topic`, as the bytes on the topic."""
    consumer = Consumer(
        {
            "bootstrap.servers": settings.bootstrap_servers,
            "group.id": f"raw-keys-{topic}",
            "enable.auto.commit": False,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=30).topics[topic]
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in metadata.partitions])
        keys: list[bytes] = []
        deadline = time.monotonic() + timeout
        while len(keys) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"topic {topic}: {len(keys)} of {count} records after {timeout:.0f} s")
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                keys.append(message.key())
        return keys
    finally:
        consumer.close()


def test_a_raw_key_is_stored_as_the_keys_bytes_without_a_key_subject(
    local_stack: Settings, session: Session
) -> None:
    session.execute_script(
        """
        CREATE TABLE tx_raw_key (k STRING, amt DOUBLE) DISTRIBUTED BY (k) INTO 2 BUCKETS
        WITH ('key.format' = 'raw');
        INSERT INTO tx_raw_key VALUES ('card-1', 10.5), ('card-2', 3.0);
        """
    )
    subjects = _subjects(local_stack)
    assert "tx_raw_key-value" in subjects and "tx_raw_key-key" not in subjects
    assert _value_fields(local_stack, "tx_raw_key") == ["amt"]
    assert sorted(_raw_keys(local_stack, "tx_raw_key", 2)) == [b"card-1", b"card-2"]

    # A producer's raw key reads back as the key column.
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    schema = registry.get_latest_version("tx_raw_key-value").schema.schema_str
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    context = SerializationContext("tx_raw_key", MessageField.VALUE)
    producer.produce(
        "tx_raw_key", key=b"card-3", value=AvroSerializer(registry, schema)({"amt": 7.25}, context)
    )
    assert producer.flush(30) == 0
    result = session.select("SELECT k, amt FROM tx_raw_key", max_rows=3)
    assert sorted(result.rows) == [("card-1", 10.5), ("card-2", 3.0), ("card-3", 7.25)]


def test_ctas_select_star_over_a_join_numbers_the_second_shared_column(
    local_stack: Settings, session: Session
) -> None:
    session.execute_script(
        """
        CREATE TABLE join_tx (TransactionID INT, amt DOUBLE);
        CREATE TABLE join_id (TransactionID INT, device STRING);
        INSERT INTO join_tx VALUES (1, 10.0), (2, 20.0);
        INSERT INTO join_id VALUES (1, 'mobile'), (2, 'desktop');
        CREATE TABLE tx_with_device AS
        SELECT * FROM join_tx t JOIN join_id i
          ON t.TransactionID = i.TransactionID
         AND i.$rowtime BETWEEN t.$rowtime - INTERVAL '1' HOUR AND t.$rowtime + INTERVAL '1' HOUR;
        """
    )
    names = ["TransactionID", "amt", "TransactionID0", "device"]
    assert [c.name for c in session.context.catalog.tables["tx_with_device"].columns] == names
    assert _value_fields(local_stack, "tx_with_device") == names
    records = read_until(local_stack, "tx_with_device", lambda r: len(r) >= 2)
    assert sorted((r.value for r in records), key=lambda v: v["TransactionID"]) == [
        {"TransactionID": 1, "amt": 10.0, "TransactionID0": 1, "device": "mobile"},
        {"TransactionID": 2, "amt": 20.0, "TransactionID0": 2, "device": "desktop"},
    ]


def test_a_ctas_column_avro_cannot_name_is_refused_before_the_topic_exists(
    local_stack: Settings, session: Session
) -> None:
    session.execute_script("CREATE TABLE unnamed_src (amt DOUBLE);")
    with pytest.raises(StatementError, match=r"column `EXPR\$0` is not a valid Avro field name"):
        session.execute_script("CREATE TABLE unnamed AS SELECT amt + 1 FROM unnamed_src;")
    assert "unnamed" not in list_topics(local_stack.bootstrap_servers)
    assert "unnamed" not in session.context.catalog.tables


def test_alter_table_adds_and_drops_metadata_and_computed_columns(
    local_stack: Settings, session: Session
) -> None:
    session.execute_script(
        "CREATE TABLE ledger (entry_id INT, amount DOUBLE) DISTRIBUTED INTO 1 BUCKETS;"
    )
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    value = AvroSerializer(registry, registry.get_latest_version("ledger-value").schema.schema_str)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    for entry_id in range(3):
        producer.produce(
            "ledger",
            value=value(
                {"entry_id": entry_id, "amount": entry_id + 0.5},
                SerializationContext("ledger", MessageField.VALUE),
            ),
        )
    assert producer.flush(30) == 0

    session.execute_script(
        "ALTER TABLE ledger ADD (record_offset BIGINT METADATA FROM 'offset' VIRTUAL, "
        "amount_cents AS CAST(amount * 100 AS INT));"
    )
    described = session.execute_script("DESCRIBE ledger;")[-1]
    assert [row[:2] for row in described.rows] == [
        ("entry_id", "INT"),
        ("amount", "DOUBLE"),
        ("record_offset", "BIGINT"),
        ("amount_cents", "INT"),
    ]
    # The registered schema is untouched: metadata and computed columns are not in it.
    assert registry.get_latest_version("ledger-value").version == 1

    session.execute_script(
        "CREATE TABLE ledger_view AS SELECT entry_id, record_offset, amount_cents FROM ledger;"
    )
    records = read_until(local_stack, "ledger_view", lambda got: len(got) >= 3)
    rows = sorted((r.value["entry_id"], r.value["amount_cents"]) for r in records)
    assert rows == [(0, 50), (1, 150), (2, 250)]
    assert sorted(r.value["record_offset"] for r in records) == [0, 1, 2]

    with pytest.raises(StatementError, match="physical"):
        session.execute_script("ALTER TABLE ledger ADD note STRING;")
    with pytest.raises(StatementError, match="no_such_column"):
        session.execute_script("ALTER TABLE ledger ADD broken AS no_such_column + 1;")
    session.execute_script("ALTER TABLE ledger DROP (record_offset, amount_cents);")
    described = session.execute_script("DESCRIBE ledger;")[-1]
    assert [row[0] for row in described.rows] == ["entry_id", "amount"]
