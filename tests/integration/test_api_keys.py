"""API keys as on Confluent: SASL/SCRAM and ACLs on the broker, basic auth on the registry.

Its own broker and registry (with basic auth on), not the session stack: only these two
services are needed, and the registry's auth must not disturb the other tests.
"""

from __future__ import annotations

import json
import stat
import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from emulator.config import Settings
from emulator.kafka import broker, security, topics
from emulator.process import ManagedProcess
from emulator.schema_registry import service as schema_registry
from tests.integration.conftest import kafka_and_registry, new_settings

pytestmark = pytest.mark.integration

UNAUTHORIZED = {"error_code": 401, "message": "Unauthorized"}
SCHEMA = json.dumps(
    {"type": "record", "name": "probe", "fields": [{"name": "id", "type": "string"}]}
)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A broker with its SASL listener and a registry requiring basic auth, on free ports."""
    settings = new_settings(tmp_path_factory, "ccflink-api-keys")
    auth_file = security.registry_basic_auth_file(settings)
    with kafka_and_registry(settings, basic_auth_file=auth_file):
        for topic in ("transactions", "identities"):
            topics.create_topic(settings.bootstrap_servers, topic, 2)
        yield settings


@pytest.fixture(scope="module")
def transactions_key(secured: Settings) -> tuple[str, str]:
    return security.create_api_key(secured, "fraud-producer", "transactions")


def produce_one(config: dict, topic: str, timeout: float = 20.0) -> tuple[list, list]:
    """Send one record; returns (delivery reports as (error, partition, offset), client errors)."""
    reports: list = []
    errors: list[KafkaError] = []
    producer = Producer(
        {
            **config,
            "enable.idempotence": True,
            "message.timeout.ms": int(timeout * 1000) // 2,
            "error_cb": errors.append,
            "log_level": 0,
        }
    )
    value = uuid.uuid4().hex.encode()
    producer.produce(
        topic,
        value,
        on_delivery=lambda error, msg: reports.append((error, msg.partition(), msg.offset())),
    )
    producer.flush(timeout)
    return [(*report, value) for report in reports], errors


def read_back(settings: Settings, topic: str, partition: int, offset: int) -> bytes | None:
    """The value at that offset, read over PLAINTEXT."""
    consumer = Consumer(
        {"bootstrap.servers": settings.bootstrap_servers, "group.id": uuid.uuid4().hex}
    )
    try:
        consumer.assign([TopicPartition(topic, partition, offset)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                return message.value()
        return None
    finally:
        consumer.close()


def wait_for_error(errors: list[KafkaError], code: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(error.code() == code for error in errors):
            return True
        time.sleep(0.1)
    return False


# -- Kafka --------------------------------------------------------------------------------------


def test_key_writes_its_topic(secured: Settings, transactions_key: tuple[str, str]) -> None:
    key, secret = transactions_key
    reports, _ = produce_one(security.client_config(secured, key, secret), "transactions")
    assert len(reports) == 1
    error, partition, offset, value = reports[0]
    assert error is None, error
    assert read_back(secured, "transactions", partition, offset) == value


def test_key_is_refused_on_another_topic(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    key, secret = transactions_key
    reports, _ = produce_one(security.client_config(secured, key, secret), "identities")
    assert len(reports) == 1
    error = reports[0][0]
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_wrong_secret_is_refused(secured: Settings, transactions_key: tuple[str, str]) -> None:
    key, secret = transactions_key
    config = security.client_config(secured, key, secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    reports, errors = produce_one(config, "transactions", timeout=8.0)
    assert any(error.code() == KafkaError._AUTHENTICATION for error in errors), errors
    assert all(error is not None for error, *_ in reports), "a record went through"


def test_plaintext_listener_stays_open_to_everything(secured: Settings) -> None:
    """PLAINTEXT is User:ANONYMOUS, a super user: local tools need no key, on any topic."""
    reports, errors = produce_one({"bootstrap.servers": secured.bootstrap_servers}, "identities")
    assert [error for error, *_ in reports] == [None], (reports, errors)


def test_deleted_key_is_refused(secured: Settings) -> None:
    key, secret = security.create_api_key(secured, "short-lived", "transactions")
    config = security.client_config(secured, key, secret)
    assert [error for error, *_ in produce_one(config, "transactions")[0]] == [None]
    registry = secured.schema_registry_url
    assert requests.get(f"{registry}/subjects", auth=(key, secret), timeout=5).status_code == 200

    security.delete_api_key(secured, key)

    assert key not in {entry["key"] for entry in security.list_api_keys(secured)}
    _, errors = produce_one(config, "transactions", timeout=6.0)
    assert any(error.code() == KafkaError._AUTHENTICATION for error in errors), errors
    assert requests.get(f"{registry}/subjects", auth=(key, secret), timeout=5).status_code == 401
    with pytest.raises(security.ApiKeyError, match="no API key"):
        security.delete_api_key(secured, key)


def test_keys_are_kept_private_and_listed_masked(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    key, secret = transactions_key
    for path in (security.keys_file(secured), security.registry_basic_auth_file(secured)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(security.secrets_dir(secured).stat().st_mode) == 0o700
    assert json.loads(security.keys_file(secured).read_text())["keys"][key]["secret"] == secret

    listed = security.list_api_keys(secured)
    entry = next(entry for entry in listed if entry["key"] == key)
    assert entry["service_account"] == "fraud-producer"
    assert entry["resource"] == "transactions"
    assert secret not in json.dumps(listed)
    assert entry["secret"].endswith(secret[-4:]) and entry["secret"].startswith("****")
    assert secret not in repr(security.get_api_key(secured, key))
    for name in (broker.NAME, schema_registry.NAME):
        assert secret not in ManagedProcess(name, secured).log_file.read_text(errors="replace")


def test_create_refuses_illegal_names(secured: Settings) -> None:
    with pytest.raises(security.ApiKeyError, match="topic"):
        security.create_api_key(secured, "fraud-producer", "no spaces")
    with pytest.raises(security.ApiKeyError, match="service account"):
        security.create_api_key(secured, "", "transactions")


# -- Schema Registry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth",
    [None, "wrong-secret", "unknown-key", "not-basic"],
)
def test_registry_refuses_without_a_known_key(
    secured: Settings, transactions_key: tuple[str, str], auth: str | None
) -> None:
    key, secret = transactions_key
    headers = {}
    kwargs: dict = {}
    if auth == "wrong-secret":
        kwargs["auth"] = (key, secret + "x")
    elif auth == "unknown-key":
        kwargs["auth"] = ("NOSUCHKEY0000000", secret)
    elif auth == "not-basic":
        headers["Authorization"] = f"Bearer {secret}"
    for method, path in (("GET", "/subjects"), ("POST", "/subjects/probe-value/versions")):
        response = requests.request(
            method,
            f"{secured.schema_registry_url}{path}",
            headers=headers,
            json={"schema": SCHEMA},
            timeout=5,
            **kwargs,
        )
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == UNAUTHORIZED
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_registry_answers_with_a_key(secured: Settings, transactions_key: tuple[str, str]) -> None:
    response = requests.get(
        f"{secured.schema_registry_url}/subjects", auth=transactions_key, timeout=5
    )
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), list)


def test_schema_registry_client_with_basic_auth(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    key, secret = transactions_key
    client = SchemaRegistryClient(
        {"url": secured.schema_registry_url, "basic.auth.user.info": f"{key}:{secret}"}
    )
    schema_id = client.register_schema("transactions-value", Schema(SCHEMA, "AVRO"))
    assert json.loads(client.get_schema(schema_id).schema_str) == json.loads(SCHEMA)
    assert "transactions-value" in client.get_subjects()

    refused = SchemaRegistryClient(
        {"url": secured.schema_registry_url, "basic.auth.user.info": f"{key}:wrong"}
    )
    with pytest.raises(SchemaRegistryError) as raised:
        refused.get_subjects()
    assert raised.value.http_status_code == 401
    assert raised.value.error_code == 401
