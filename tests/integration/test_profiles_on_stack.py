"""A profile points the pipeline at another cluster: here the local broker's SASL/PLAIN listener.

What Confluent Cloud users do (client.properties with SASL and an API key) is done here against
the real broker with ACLs in force, so the producers, topic provisioning and Flink's own Kafka
clients all have to authenticate as the key to get anywhere.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.config import Settings, load_profile
from emulator.kafka import security
from emulator.kafka.login import LoginError
from emulator.sql.session import Session

from . import container_stack
from .conftest import read_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        container_stack.wanted(),
        reason="the compose stack's Kafka has no SASL listener (local backend only)",
    ),
]

PREFIX = "profiled_"


def _grant_prefix(settings: Settings, key: str) -> None:
    """What `confluent kafka acl create --prefix` would give a pipeline's service account: its
    topics, its consumer groups, and the transactional ids of its statements' sinks."""
    principal = f"User:{key}"
    bindings = [
        AclBinding(
            ResourceType.TOPIC,
            PREFIX,
            ResourcePatternType.PREFIXED,
            principal,
            "*",
            AclOperation.ALL,
            AclPermissionType.ALLOW,
        ),
        AclBinding(
            ResourceType.GROUP,
            "*",
            ResourcePatternType.LITERAL,
            principal,
            "*",
            AclOperation.READ,
            AclPermissionType.ALLOW,
        ),
        # Statements write exactly-once: transactional ids start with the statement's name.
        AclBinding(
            ResourceType.TRANSACTIONAL_ID,
            "cli-",
            ResourcePatternType.PREFIXED,
            principal,
            "*",
            AclOperation.ALL,
            AclPermissionType.ALLOW,
        ),
    ]
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers})
    for future in admin.create_acls(bindings).values():
        future.result(timeout=15)


def _profile_file(folder: Path, settings: Settings, key: str, secret: str) -> Path:
    path = folder / "local-sasl.properties"
    path.write_text(
        "# as Confluent Cloud's client.properties, against the local SASL listener\n"
        f"bootstrap.servers={security.sasl_bootstrap_servers(settings)}\n"
        "security.protocol=SASL_PLAINTEXT\n"
        "sasl.mechanisms=PLAIN\n"
        f"sasl.username={key}\n"
        f"sasl.password={secret}\n"
        f"schema.registry.url={settings.schema_registry_url}\n"
        f"flink.rest.url={settings.flink_rest_url}\n"
    )
    return path


@pytest.fixture(scope="module")
def profiled(local_stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    key, secret = security.create_api_key(local_stack, "sa-pipeline", f"{PREFIX}orders")
    _grant_prefix(local_stack, key)
    folder = tmp_path_factory.mktemp("profiles")
    profile = load_profile(str(_profile_file(folder, local_stack, key, secret)))
    return replace(local_stack, profile=profile)


def test_sql_and_producers_run_through_the_profile(
    local_stack: Settings, profiled: Settings
) -> None:
    session = Session(profiled, say=lambda message: None)
    session.execute_script(
        f"""
        CREATE TABLE {PREFIX}orders (id INT NOT NULL, amount DOUBLE)
          DISTRIBUTED BY (id) INTO 1 BUCKETS;
        CREATE TABLE {PREFIX}large AS SELECT id, amount FROM {PREFIX}orders WHERE amount > 10;
        """
    )
    registry = SchemaRegistryClient({"url": profiled.schema_registry_url})
    serialize = {
        field: AvroSerializer(
            registry, registry.get_latest_version(f"{PREFIX}orders-{field}").schema.schema_str
        )
        for field in ("key", "value")
    }
    # The producer connects with the profile's settings only: SASL/PLAIN as the API key.
    producer = Producer(
        {"bootstrap.servers": profiled.bootstrap_servers, **profiled.kafka_security}
    )
    topic = f"{PREFIX}orders"
    for order_id, amount in ((1, 5.0), (2, 20.0), (3, 30.0)):
        producer.produce(
            topic,
            key=serialize["key"]({"id": order_id}, SerializationContext(topic, MessageField.KEY)),
            value=serialize["value"](
                {"amount": amount}, SerializationContext(topic, MessageField.VALUE)
            ),
        )
    assert producer.flush(30) == 0

    # Flink's job reads and writes through the SASL listener too (its DDL carries the JAAS
    # line); the result is read back here on the local PLAINTEXT listener.
    records = read_until(local_stack, f"{PREFIX}large", lambda got: len(got) >= 2)
    assert sorted((r.value["id"], r.value["amount"]) for r in records) == [(2, 20.0), (3, 30.0)]


def test_a_wrong_secret_is_refused_by_the_broker(
    local_stack: Settings, profiled: Settings, tmp_path: Path
) -> None:
    assert profiled.profile is not None
    key = profiled.profile.kafka_security["sasl.username"]
    wrong = load_profile(str(_profile_file(tmp_path, local_stack, key, "not-the-secret")))
    with pytest.raises(LoginError, match=f"refused API key {key}: .*Authentication failed"):
        Session(replace(local_stack, profile=wrong), say=lambda m: None)
