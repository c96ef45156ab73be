"""The session cluster's classpath: Flink's own jars and the connectors every statement needs,
so that a statement's job carries none; and the memory the stack's JVMs are given."""

from __future__ import annotations

import yaml

from emulator import config
from emulator.config import Settings
from emulator.flink.cluster import (
    JOBMANAGER_MEMORY,
    TASKMANAGER_MEMORY,
    connector_jars,
    flink_home,
    lib_dir,
    write_config,
)
from emulator.profiles import Profile


def settings(tmp_path) -> Settings:
    return Settings(tmp_path / "state", jars_dir=config.jars_dir())  # `make setup`'s jars


def test_the_clusters_lib_links_flinks_jars_and_every_connector(tmp_path) -> None:
    stack = settings(tmp_path)
    write_config(stack)
    linked = {path.name: path.resolve() for path in lib_dir(stack).iterdir()}
    for jar in [*(flink_home() / "lib").glob("*.jar"), *connector_jars(stack)]:
        assert linked[jar.name] == jar.resolve()
    assert any(name.startswith("flink-python-") for name in linked)
    assert any(name.startswith("flink-sql-connector-kafka-") for name in linked)


def test_the_configuration_keeps_the_stack_under_4_gb(tmp_path) -> None:
    written = yaml.safe_load((write_config(settings(tmp_path)) / "config.yaml").read_text())
    assert written["taskmanager"]["memory"]["process"]["size"] == TASKMANAGER_MEMORY
    assert written["jobmanager"]["memory"]["process"]["size"] == JOBMANAGER_MEMORY


def test_statements_ship_the_jars_only_to_another_cluster(tmp_path) -> None:
    assert settings(tmp_path).own_flink
    remote = Profile(name="cloud", bootstrap_servers="b:9092", flink_rest_url="http://f:8081")
    elsewhere = Settings(tmp_path, jars_dir=tmp_path, profile=remote)
    assert not elsewhere.own_flink
    kafka_only = Profile(name="cloud", bootstrap_servers="b:9092")
    assert Settings(tmp_path, jars_dir=tmp_path, profile=kafka_only).own_flink
