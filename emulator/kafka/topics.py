"""Topic administration on the local broker (what CREATE TABLE provisions)."""

from __future__ import annotations

from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

SEVEN_DAYS_MS = 7 * 24 * 3600 * 1000


def create_topic(
    bootstrap_servers: str, name: str, partitions: int, configs: dict[str, str] | None = None
) -> bool:
    """Create a topic; False if it already existed."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.create_topics(
            [NewTopic(name, partitions, replication_factor=1, topic_configs=configs or {})]
        )
        return True
    except TopicAlreadyExistsError:
        return False
    finally:
        admin.close()


def list_topics(bootstrap_servers: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def delete_topic(bootstrap_servers: str, name: str) -> bool:
    """Delete a topic; False if there was none."""
    from kafka.errors import UnknownTopicOrPartitionError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.delete_topics([name])
        return True
    except UnknownTopicOrPartitionError:
        return False
    finally:
        admin.close()


def describe_topics(bootstrap_servers: str, names: list[str]) -> dict[str, tuple[int, str]]:
    """Partition count and `cleanup.policy` of each named topic that exists."""
    from kafka.admin import ConfigFilterType, ConfigResource, ConfigResourceType

    if not names:
        return {}
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
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
