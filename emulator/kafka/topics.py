"""Topic administration (what CREATE TABLE provisions), on the local broker or a profile's.

`security` is the cluster's librdkafka security.* / sasl.* / ssl.* settings (`Settings.
kafka_security`), passed to confluent-kafka's AdminClient as they are; empty for the local
PLAINTEXT listener.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000
TIMEOUT_S = 30.0  # for each request, and for the broker to finish creating or deleting a topic
# librdkafka's own log goes here, not to stderr: its informational lines (a background queue
# purged when a short-lived client closes) would interleave with the CLI's output.
_LOG = logging.getLogger(__name__)


def _admin(bootstrap_servers: str, security: Mapping[str, str] | None) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap_servers, **(security or {}), "logger": _LOG})


def _error_code(error: KafkaException) -> int:
    return error.args[0].code()


def create_topic(
    bootstrap_servers: str,
    name: str,
    partitions: int,
    configs: dict[str, str] | None = None,
    security: Mapping[str, str] | None = None,
) -> bool:
    """Create a topic; False if it already existed."""
    admin = _admin(bootstrap_servers, security)  # alive until the answer: it is the connection
    topic = NewTopic(name, partitions, replication_factor=1, config=configs or {})
    futures = admin.create_topics([topic], operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    try:
        futures[name].result()
        return True
    except KafkaException as error:
        if _error_code(error) == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise


def list_topics(bootstrap_servers: str, security: Mapping[str, str] | None = None) -> set[str]:
    return set(_admin(bootstrap_servers, security).list_topics(timeout=TIMEOUT_S).topics)


def delete_topic(
    bootstrap_servers: str, name: str, security: Mapping[str, str] | None = None
) -> bool:
    """Delete a topic; False if there was none."""
    admin = _admin(bootstrap_servers, security)  # alive until the answer: it is the connection
    futures = admin.delete_topics([name], operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    try:
        futures[name].result()
        return True
    except KafkaException as error:
        if _error_code(error) == KafkaError.UNKNOWN_TOPIC_OR_PART:
            return False
        raise


def describe_topics(
    bootstrap_servers: str, names: list[str], security: Mapping[str, str] | None = None
) -> dict[str, tuple[int, str]]:
    """Partition count and `cleanup.policy` of each named topic that exists."""
    if not names:
        return {}
    admin = _admin(bootstrap_servers, security)
    metadata = admin.list_topics(timeout=TIMEOUT_S).topics
    partitions = {
        name: len(metadata[name].partitions)
        for name in names
        if name in metadata and metadata[name].error is None
    }
    if not partitions:
        return {}
    resources = [ConfigResource(ResourceType.TOPIC, name) for name in partitions]
    described = admin.describe_configs(resources, request_timeout=TIMEOUT_S)
    entries = {resource.name: future.result() for resource, future in described.items()}
    return {
        name: (count, getattr(entries[name].get("cleanup.policy"), "value", None) or "delete")
        for name, count in partitions.items()
    }
