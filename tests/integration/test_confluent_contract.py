"""Confluent's own Python client against our broker and registry, and Flink reading its records.

The producer is written the way cloud users write it (Producer + AvroSerializer +
SchemaRegistryClient); only the connection settings differ from a Confluent Cloud producer.
"""

from __future__ import annotations

import pytest
import requests
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.config import Settings
from emulator.schema_registry import service as schema_registry
from emulator.sql.session import Session
from tests.integration.conftest import read_until

pytestmark = pytest.mark.integration

PAYMENTS = [
    {"payment_id": i, "amount": round(10.5 * i, 2), "currency": "EUR" if i % 2 else None}
    for i in range(1, 41)
]


@pytest.fixture(scope="module")
def session(local_stack: Settings) -> Session:
    return Session(local_stack, say=lambda message: None)


def test_confluent_producer_records_are_read_by_flink(
    local_stack: Settings, session: Session
) -> None:
    # The table first, as in the cloud demo; the producer then registers its own schema.
    session.execute_script(
        "CREATE TABLE payments (payment_id INT NOT NULL, amount DOUBLE, currency STRING) "
        "DISTRIBUTED BY (payment_id) INTO 2 BUCKETS;"
    )
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    value_schema = """{"type": "record", "name": "payments_value",
      "namespace": "org.apache.flink.avro.generated.record",
      "fields": [{"name": "amount", "type": ["null", "double"], "default": null},
                 {"name": "currency", "type": ["null", "string"], "default": null}]}"""
    key_schema = """{"type": "record", "name": "payments_key",
      "namespace": "org.apache.flink.avro.generated.record",
      "fields": [{"name": "payment_id", "type": "int"}]}"""
    serialize_value = AvroSerializer(registry, value_schema)
    serialize_key = AvroSerializer(registry, key_schema)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    for payment in PAYMENTS:
        producer.produce(
            "payments",
            key=serialize_key(
                {"payment_id": payment["payment_id"]},
                SerializationContext("payments", MessageField.KEY),
            ),
            value=serialize_value(
                {"amount": payment["amount"], "currency": payment["currency"]},
                SerializationContext("payments", MessageField.VALUE),
            ),
        )
    assert producer.flush(30) == 0

    session.execute_script(
        "CREATE TABLE payments_copy AS SELECT payment_id, amount * 2 AS doubled, currency "
        "FROM payments;"
    )
    records = read_until(local_stack, "payments_copy", lambda r: len(r) >= len(PAYMENTS))
    got = sorted((r.value for r in records), key=lambda v: v["payment_id"])
    assert got == [
        {"payment_id": p["payment_id"], "doubled": p["amount"] * 2, "currency": p["currency"]}
        for p in PAYMENTS
    ]


def test_schema_ids_survive_a_registry_restart(local_stack: Settings) -> None:
    url = local_stack.schema_registry_url
    before = {
        subject: requests.get(f"{url}/subjects/{subject}/versions/latest", timeout=10).json()
        for subject in requests.get(f"{url}/subjects", timeout=10).json()
    }
    assert before, "the pipeline and contract tests registered schemas"
    process = schema_registry.ManagedProcess(schema_registry.NAME, local_stack)
    assert process.stop()
    schema_registry.start(local_stack)
    after = {
        subject: requests.get(f"{url}/subjects/{subject}/versions/latest", timeout=10).json()
        for subject in requests.get(f"{url}/subjects", timeout=10).json()
    }
    assert after == before
