"""API keys as on Confluent: SASL/PLAIN and ACLs on the broker, basic auth on the registry.

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
    auth_file = security.credentials_file(settings)  # the broker's: none exists yet
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


def plain_config(settings: Settings, key: str, secret: str) -> dict[str, str]:
    """What a Confluent Cloud client sets, but SASL_PLAINTEXT to the local SASL listener."""
    return {
        "bootstrap.servers": f"{settings.host}:{settings.ports.kafka_sasl}",
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": key,
        "sasl.password": secret,
    }


def refused_login(config: dict) -> bool:
    """The broker refuses this login: an authentication error, and no record goes through."""
    reports, errors = produce_one(config, "transactions", timeout=8.0)
    assert all(error is not None for error, *_ in reports), "a record went through"
    return any(error.code() == KafkaError._AUTHENTICATION for error in errors)


# -- Kafka --------------------------------------------------------------------------------------


def test_client_config_is_confluents_plain(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    assert security.client_config(secured, *transactions_key) == plain_config(
        secured, *transactions_key
    )


def test_key_writes_its_topic(secured: Settings, transactions_key: tuple[str, str]) -> None:
    reports, _ = produce_one(plain_config(secured, *transactions_key), "transactions")
    assert len(reports) == 1
    error, partition, offset, value = reports[0]
    assert error is None, error
    assert read_back(secured, "transactions", partition, offset) == value


def test_key_is_refused_on_another_topic(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    reports, _ = produce_one(plain_config(secured, *transactions_key), "identities")
    assert len(reports) == 1
    error = reports[0][0]
    assert error is not None and error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, error


def test_wrong_secret_is_refused(secured: Settings, transactions_key: tuple[str, str]) -> None:
    key, secret = transactions_key
    wrong = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    assert refused_login(plain_config(secured, key, wrong))


def test_unknown_key_is_refused(secured: Settings, transactions_key: tuple[str, str]) -> None:
    assert refused_login(plain_config(secured, "NOSUCHKEY0000000", transactions_key[1]))


def test_plaintext_listener_stays_open_to_everything(secured: Settings) -> None:
    """PLAINTEXT is User:ANONYMOUS, a super user: local tools need no key, on any topic."""
    reports, errors = produce_one({"bootstrap.servers": secured.bootstrap_servers}, "identities")
    assert [error for error, *_ in reports] == [None], (reports, errors)


def test_key_created_while_the_broker_runs_works_at_once(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    """The broker has read the credentials file already; the new key needs no restart."""
    broker_pid = ManagedProcess(broker.NAME, secured).pid()
    assert [
        error
        for error, *_ in produce_one(plain_config(secured, *transactions_key), "transactions")[0]
    ] == [None]

    key, secret = security.create_api_key(secured, "late-producer", "identities")

    reports, errors = produce_one(plain_config(secured, key, secret), "identities")
    assert [error for error, *_ in reports] == [None], (reports, errors)
    assert ManagedProcess(broker.NAME, secured).pid() == broker_pid
    security.delete_api_key(secured, key)


def test_deleted_key_is_refused(secured: Settings) -> None:
    key, secret = security.create_api_key(secured, "short-lived", "transactions")
    config = plain_config(secured, key, secret)
    assert [error for error, *_ in produce_one(config, "transactions")[0]] == [None]
    registry = secured.schema_registry_url
    assert requests.get(f"{registry}/subjects", auth=(key, secret), timeout=5).status_code == 200

    security.delete_api_key(secured, key)

    assert key not in {entry["key"] for entry in security.list_api_keys(secured)}
    assert refused_login(config)
    assert requests.get(f"{registry}/subjects", auth=(key, secret), timeout=5).status_code == 401
    with pytest.raises(security.ApiKeyError, match="no API key"):
        security.delete_api_key(secured, key)


def test_secrets_are_kept_nowhere_and_files_are_private(
    secured: Settings, transactions_key: tuple[str, str]
) -> None:
    key, secret = transactions_key
    secrets_dir = security.secrets_dir(secured)
    assert stat.S_IMODE(secrets_dir.stat().st_mode) == 0o700
    for path in (security.keys_file(secured), security.credentials_file(secured)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for path in secrets_dir.iterdir():
        assert secret not in path.read_text(errors="replace"), path
    hashes = security.parse_credentials(security.credentials_file(secured).read_text())
    assert hashes[key].matches(secret)

    listed = security.list_api_keys(secured)
    entry = next(entry for entry in listed if entry["key"] == key)
    assert entry["service_account"] == "fraud-producer"
    assert entry["resource"] == "transactions"
    assert secret not in json.dumps(listed)
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
