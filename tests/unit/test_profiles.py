"""Profiles: Confluent Cloud's client.properties read as a target for the same pipeline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from emulator.cli import main
from emulator.config import Settings, load_profile
from emulator.profiles import ProfileError

CLOUD_PROPERTIES = """\
# Required connection configs for Kafka producer, consumer, and admin
bootstrap.servers=broker.example:9092
security.protocol=SASL_SSL
sasl.mechanisms=PLAIN
sasl.username=${CLUSTER_KEY}
sasl.password=${CLUSTER_SECRET}
# Best practice for higher availability in Apache Kafka clients prior to 3.0
session.timeout.ms=45000
client.dns.lookup=use_all_dns_ips
acks=all

# Required connection configs for Confluent Cloud Schema Registry
schema.registry.url=https://registry.example
basic.auth.credentials.source=USER_INFO
basic.auth.user.info=SRKEY:sr"secret
flink.rest.url=http://flink.example:8081/
"""


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLUSTER_KEY", "KEY123")
    monkeypatch.setenv("CLUSTER_SECRET", 'se"cr\\et')
    path = tmp_path / "cloud.properties"
    path.write_text(CLOUD_PROPERTIES)
    return path


def test_a_confluent_client_properties_file_is_a_profile(cloud: Path) -> None:
    profile = load_profile(str(cloud))

    assert profile.name == "cloud"
    assert profile.bootstrap_servers == "broker.example:9092"
    # Only the security settings go to our Kafka clients; Java-only settings stay behind.
    assert profile.kafka_security == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "KEY123",
        "sasl.password": 'se"cr\\et',
    }
    assert profile.registry_auth == ("SRKEY", 'sr"secret')
    assert 'se"cr' not in repr(profile)


def test_settings_follow_the_profile(cloud: Path, tmp_path: Path) -> None:
    local = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    remote = replace(local, profile=load_profile(str(cloud)))

    assert (local.bootstrap_servers, local.kafka_security) == ("127.0.0.1:9092", {})
    assert local.registry_auth is None
    assert remote.bootstrap_servers == "broker.example:9092"
    assert remote.kafka_security["sasl.username"] == "KEY123"
    assert remote.schema_registry_url == "https://registry.example"
    assert remote.registry_auth == ("SRKEY", 'sr"secret')
    assert remote.flink_rest_url == "http://flink.example:8081"


def test_flink_gets_a_jaas_line_with_the_shaded_login_module(cloud: Path) -> None:
    options = load_profile(str(cloud)).flink_kafka_properties()

    assert options["properties.security.protocol"] == "SASL_SSL"
    assert options["properties.sasl.mechanism"] == "PLAIN"
    assert options["properties.sasl.jaas.config"] == (
        "org.apache.flink.kafka.shaded.org.apache.kafka.common.security.plain.PlainLoginModule "
        'required username="KEY123" password="se\\"cr\\\\et";'
    )
    assert "properties.sasl.username" not in options


def test_a_missing_environment_variable_names_the_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    path = tmp_path / "p.properties"
    path.write_text("bootstrap.servers=h:9092\nsasl.password=${NOT_SET_ANYWHERE}\n")
    with pytest.raises(ProfileError, match=r"p\.properties:2: environment variable NOT_SET"):
        load_profile(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("security.protocol=SASL_SSL\n", "bootstrap.servers is required"),
        ("bootstrap.servers=h:1\nbasic.auth.user.info=nocolon\n", "must be KEY:SECRET"),
        ("bootstrap.servers=h:1\n=oops\n", r"bad.properties:2: expected key=value"),
    ],
)
def test_bad_profiles_say_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.properties"
    path.write_text(text)
    with pytest.raises(ProfileError, match=message):
        load_profile(str(path))


def test_profiles_are_found_by_name_in_the_profiles_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCFLINK_PROFILES_DIR", str(tmp_path))
    (tmp_path / "staging.properties").write_text("bootstrap.servers=staging:9092\n")
    assert load_profile("staging").bootstrap_servers == "staging:9092"
    with pytest.raises(ProfileError, match=r"no file .*prod\.properties"):
        load_profile("prod")


def test_the_cli_refuses_an_unknown_profile_and_local_stack_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CCFLINK_PROFILES_DIR", str(tmp_path))
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path / "state"))
    assert main(["--profile", "nowhere", "sql", "-f", "x.sql"]) == 2
    assert "no file" in capsys.readouterr().out
    (tmp_path / "cloud.properties").write_text("bootstrap.servers=h:9092\n")
    assert main(["--profile", "cloud", "up"]) == 2
    assert "manages this machine's stack" in capsys.readouterr().out
