"""`ccflink up --secure` on a real stack: every client needs an API key.

The stack listens on a non-loopback address of this machine (what --secure allows), so Flink's
staying on loopback is seen from outside it. Each service refuses a client without a key; the
admin key `up` wrote reaches them all, and a statement runs through Flink's own Kafka and
registry clients with it.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace

import psutil
import pytest
import requests
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from emulator import config, stack
from emulator.config import Settings
from emulator.ports import free_ports
from emulator.sql.session import Session
from emulator.topic_reader import AvroTopicReader
from tests.integration.conftest import new_settings


def outside_address() -> str | None:
    """An IPv4 address of this machine other machines could reach, if it has one."""
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family == socket.AF_INET and not config.is_loopback(address.address):
                return address.address
    return None


@pytest.fixture(scope="module")
def secure_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    host = outside_address()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address to expose the stack on")
    plain = new_settings(tmp_path_factory, "secure-state")
    wanted = replace(plain, host=host, ports=free_ports(host), secure=True)
    try:
        yield stack.up(wanted, say=lambda message: None, model_server=False)
    finally:
        stack.down(wanted)


def no_key_admin(bootstrap_servers: str, **login: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0, **login})


def test_kafka_refuses_a_client_without_a_key_or_with_a_wrong_secret(
    secure_stack: Settings,
) -> None:
    bootstrap = secure_stack.bootstrap_servers
    with pytest.raises(KafkaException):
        no_key_admin(bootstrap).list_topics(timeout=5)
    login = dict(secure_stack.kafka_security)
    wrong = {**login, "sasl.password": "not-the-secret"}
    with pytest.raises(KafkaException):
        no_key_admin(bootstrap, **wrong).list_topics(timeout=5)
    assert "_schemas" in no_key_admin(bootstrap, **login).list_topics(timeout=10).topics


def test_the_broker_has_no_anonymous_listener(secure_stack: Settings) -> None:
    addresses = {secure_stack.host, f"::ffff:{secure_stack.host}"}  # Java listens on IPv6
    listening = {
        c.laddr.port
        for c in psutil.net_connections("inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.ip in addresses
    }
    assert secure_stack.ports.kafka in listening
    assert secure_stack.ports.kafka_sasl not in listening  # the open stack's second listener
    properties = (secure_stack.state_dir / "kafka" / "config" / "server.properties").read_text()
    assert "PLAINTEXT://" not in properties.replace("SASL_PLAINTEXT://", "")
    assert "User:ANONYMOUS" not in properties


def test_the_registry_refuses_a_client_without_a_key(secure_stack: Settings) -> None:
    url = f"{secure_stack.schema_registry_url}/subjects"
    refused = requests.get(url, timeout=5)
    assert refused.status_code == 401
    assert refused.json()["error_code"] == 401
    wrong = requests.get(url, auth=("nobody", "nothing"), timeout=5)
    assert wrong.status_code == 401
    assert requests.get(url, auth=secure_stack.registry_auth, timeout=5).status_code == 200


def test_flink_answers_on_loopback_only(secure_stack: Settings) -> None:
    port = secure_stack.ports.flink_rest
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://{secure_stack.host}:{port}/config", timeout=5)
    assert requests.get(f"http://127.0.0.1:{port}/config", timeout=5).ok
    assert secure_stack.flink_rest_url == f"http://127.0.0.1:{port}"


def test_commands_find_the_admin_key_from_the_saved_stack(secure_stack: Settings) -> None:
    saved = config.load_saved(secure_stack.state_dir)
    assert saved is not None and saved.secure
    assert saved.kafka_security == secure_stack.kafka_security
    assert saved.registry_auth == secure_stack.registry_auth
    assert secure_stack.client_properties_file.stat().st_mode & 0o077 == 0


def test_a_statement_runs_with_the_key(secure_stack: Settings) -> None:
    session = Session(secure_stack, lambda message: None)
    session.execute_script(
        "CREATE TABLE secured (id INT, name STRING);\n"
        "INSERT INTO secured VALUES (1, 'one'), (2, 'two');",
        "<secure>",
    )
    reader = AvroTopicReader.of(secure_stack, "secured")
    rows = []
    deadline = time.monotonic() + 120
    try:
        while len(rows) < 2 and time.monotonic() < deadline:
            rows += [record.value for record in reader.poll(timeout_ms=1000)]
    finally:
        reader.close()
    assert sorted((row["id"], row["name"]) for row in rows) == [(1, "one"), (2, "two")]
