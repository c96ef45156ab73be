"""Topic administration (what CREATE TABLE provisions), on the local broker or a profile's.

`security` is the cluster's librdkafka-style security.* / sasl.* settings (`Settings.
kafka_security`); empty for the local PLAINTEXT listener.
"""

from __future__ import annotations

from collections.abc import Mapping

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from emulator.profiles import kafka_python_options

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


def _admin(bootstrap_servers: str, security: Mapping[str, str] | None) -> KafkaAdminClient:
    return KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, **kafka_python_options(dict(security or {}))
    )


def create_topic(
    bootstrap_servers: str,
    name: str,
    partitions: int,
    configs: dict[str, str] | None = None,
    security: Mapping[str, str] | None = None,
) -> bool:
    """Create a topic; False if it already existed."""
    admin = _admin(bootstrap_servers, security)
    try:
        admin.create_topics(
            [NewTopic(name, partitions, replication_factor=1, topic_configs=configs or {})]
        )
        return True
    except TopicAlreadyExistsError:
        return False
    finally:
        admin.close()


def list_topics(bootstrap_servers: str, security: Mapping[str, str] | None = None) -> set[str]:
    admin = _admin(bootstrap_servers, security)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def delete_topic(
    bootstrap_servers: str, name: str, security: Mapping[str, str] | None = None
) -> bool:
    """Delete a topic; False if there was none."""
    from kafka.errors import UnknownTopicOrPartitionError

    admin = _admin(bootstrap_servers, security)
    try:
        admin.delete_topics([name])
        return True
    except UnknownTopicOrPartitionError:
        return False
    finally:
        admin.close()


def describe_topics(
    bootstrap_servers: str, names: list[str], security: Mapping[str, str] | None = None
) -> dict[str, tuple[int, str]]:
    """Partition count and `cleanup.policy` of each named topic that exists."""
    from kafka.admin import ConfigFilterType, ConfigResource, ConfigResourceType

    if not names:
        return {}
    admin = _admin(bootstrap_servers, security)
    try:
        partitions = {
            t["name"]: len(t["partitions"])
            for t in admin.describe_topics(names)
            if not t.get("error_code")
        }
        resources = [
            ConfigResource(ConfigResourceType.TOPIC, name, configs={"cleanup.policy": None})
            for name in partitions
        ]
        described = admin.describe_configs(resources, config_filter=ConfigFilterType.ALL)
    finally:
        admin.close()
    configs = described.get("topic", {}) if resources else {}
    return {
        name: (count, configs.get(name, {}).get("cleanup.policy", {}).get("value") or "delete")
        for name, count in partitions.items()
    }
