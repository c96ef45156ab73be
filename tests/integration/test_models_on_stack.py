"""CREATE MODEL and ML_PREDICT semantics on the real stack: argument checks and endpoint errors."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.flink.rest import FlinkRest
from emulator.sql.errors import StatementError
from emulator.sql.session import Session
from emulator.sql.statements import refresh

pytestmark = pytest.mark.integration

WRONG_KEY = "definitely-not-the-endpoint-key"


@pytest.fixture(scope="module")
def session(local_stack: Settings) -> Session:
    session = Session(local_stack, say=lambda message: None)
    session.execute_script(
        f"""
        CREATE TABLE points (id INT NOT NULL, x DOUBLE, label STRING)
          DISTRIBUTED BY (id) INTO 1 BUCKETS;
        CREATE CONNECTION good_endpoint WITH ('type' = 'azureml',
          'endpoint' = '{local_stack.model_server_url}/score',
          'api-key' = '{local_stack.model_api_key()}');
        CREATE CONNECTION wrong_key WITH ('type' = 'azureml',
          'endpoint' = '{local_stack.model_server_url}/score', 'api_key' = '{WRONG_KEY}');
        CREATE MODEL two_inputs INPUT (a DOUBLE, b DOUBLE) OUTPUT (y INT)
          WITH ('provider' = 'azureml', 'task' = 'classification',
                'azureml.connection' = 'good_endpoint');
        CREATE MODEL locked INPUT (a DOUBLE, b DOUBLE) OUTPUT (y INT)
          WITH ('provider' = 'azureml', 'task' = 'classification',
                'azureml.connection' = 'wrong_key');
        """
    )
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    value = AvroSerializer(
        registry,
        json.dumps(
            {
                "type": "record",
                "name": "points_value",
                "namespace": "org.apache.flink.avro.generated.record",
                "fields": [
                    {"name": "x", "type": ["null", "double"], "default": None},
                    {"name": "label", "type": ["null", "string"], "default": None},
                ],
            }
        ),
    )
    key = AvroSerializer(
        registry,
        json.dumps(
            {
                "type": "record",
                "name": "points_key",
                "namespace": "org.apache.flink.avro.generated.record",
                "fields": [{"name": "id", "type": "int"}],
            }
        ),
    )
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    for i in range(3):
        producer.produce(
            "points",
            key=key({"id": i}, SerializationContext("points", MessageField.KEY)),
            value=value(
                {"x": i / 2, "label": f"p{i}"}, SerializationContext("points", MessageField.VALUE)
            ),
        )
    assert producer.flush(30) == 0
    return session


def test_an_incompatible_argument_is_refused_when_planned(session: Session) -> None:
    with pytest.raises(StatementError) as failure:
        session.execute_script(
            "CREATE TABLE refused AS SELECT p.y FROM points, "
            "LATERAL TABLE(ML_PREDICT('two_inputs', label, x)) AS p;"
        )
    message = str(failure.value)
    assert "ML_PREDICT('two_inputs') arguments (STRING, DOUBLE)" in message
    assert "(a DOUBLE, b DOUBLE)" in message


def test_a_wrong_argument_count_is_refused(session: Session) -> None:
    with pytest.raises(StatementError, match="passes 1 values but the model's INPUT has 2"):
        session.execute_script(
            "CREATE TABLE refused_count AS SELECT p.y FROM points, "
            "LATERAL TABLE(ML_PREDICT('two_inputs', x)) AS p;"
        )


def test_a_new_version_must_keep_input_and_output(session: Session) -> None:
    with pytest.raises(StatementError, match="must keep its INPUT and OUTPUT"):
        session.execute_script(
            "CREATE MODEL two_inputs INPUT (a DOUBLE) OUTPUT (y INT) WITH ("
            "'provider' = 'azureml', 'task' = 'classification', "
            "'azureml.connection' = 'good_endpoint');"
        )


def test_an_endpoint_error_degrades_the_statement_with_the_key_masked(
    local_stack: Settings, session: Session
) -> None:
    # An INT and a DOUBLE into DOUBLE inputs: accepted (implicit widening), then the endpoint
    # answers 401 to the wrong key, which is not retried: the task fails and restarts from its
    # checkpoint, again and again, and the statement shows DEGRADED with the reason.
    session.execute_script("SET 'client.statement-name' = 'score-with-wrong-key';")
    session.execute_script(
        "CREATE TABLE locked_scores AS SELECT id, p.y FROM points, "
        "LATERAL TABLE(ML_PREDICT('locked', id, x)) AS p;"
    )
    catalog = Catalog.for_state(local_stack.state_dir)
    rest = FlinkRest(local_stack.flink_rest_url)
    deadline = time.monotonic() + 180
    while True:
        record = next(r for r in refresh(catalog, rest) if r.name == "score-with-wrong-key")
        if record.status == "DEGRADED" or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert record.status == "DEGRADED"
    assert "Received bad response code 401" in (record.detail or "")
    assert WRONG_KEY not in (record.detail or "")
