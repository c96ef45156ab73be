"""`--secure` without services: the exposure rule, the stack's own keys, the broker's
listeners, and the saved stack finding its admin key (tests/integration/test_secure_stack.py
runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from emulator import config
from emulator.config import ConfigError, Settings
from emulator.kafka import broker, security
from emulator.profiles import read_properties


@pytest.fixture
def secure(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path, secure=True)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.2", "fraud-laptop.example"])
def test_a_host_other_machines_reach_is_refused_without_secure(tmp_path: Path, host: str) -> None:
    exposed = Settings(state_dir=tmp_path, jars_dir=tmp_path, host=host)
    with pytest.raises(ConfigError, match=f"CCFLINK_HOST={host} .*`ccflink up --secure`"):
        config.check_exposure(exposed)
    config.check_exposure(replace(exposed, secure=True))


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_is_allowed_open(tmp_path: Path, host: str) -> None:
    config.check_exposure(Settings(state_dir=tmp_path, jars_dir=tmp_path, host=host))


def test_up_on_an_exposed_host_says_why_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "CCFLINK_HOME": str(tmp_path), "CCFLINK_HOST": "0.0.0.0"}
    result = subprocess.run(
        [sys.executable, "-m", "emulator.cli", "up"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "CCFLINK_HOST=0.0.0.0" in output and "--secure" in output
    assert "Traceback" not in output
    assert not (tmp_path / "pids").exists() or not any((tmp_path / "pids").iterdir())


def test_the_stack_keys_are_made_once_and_kept_private(secure: Settings) -> None:
    security.ensure_stack_keys(secure)
    admin = read_properties(secure.client_properties_file, {})
    login = read_properties(broker.broker_login_file(secure), {})
    hashes = security.parse_credentials(broker.credentials_file(secure).read_text())
    assert {admin["sasl.username"], login["sasl.username"]} == set(hashes)
    assert hashes[admin["sasl.username"]].matches(admin["sasl.password"])
    assert hashes[login["sasl.username"]].matches(login["sasl.password"])
    assert admin["basic.auth.user.info"] == f"{admin['sasl.username']}:{admin['sasl.password']}"
    for path in (secure.client_properties_file, broker.broker_login_file(secure)):
        assert path.stat().st_mode & 0o777 == 0o600, path
    accounts = {k["service_account"] for k in security.list_api_keys(secure)}
    assert accounts == {security.STACK_ADMIN_ACCOUNT, security.BROKER_ACCOUNT}

    security.ensure_stack_keys(secure)  # a second `up --secure` keeps them
    assert read_properties(secure.client_properties_file, {}) == admin
    assert len(security.list_api_keys(secure)) == 2


def test_the_secure_broker_has_no_anonymous_principal(secure: Settings) -> None:
    security.ensure_stack_keys(secure)
    properties = broker.server_properties(secure)
    lines = dict(line.split("=", 1) for line in properties.splitlines() if "=" in line)
    admin = read_properties(secure.client_properties_file, {})["sasl.username"]
    own = read_properties(broker.broker_login_file(secure), {})["sasl.username"]
    ports = secure.ports
    assert lines["listeners"] == (
        f"SASL_PLAINTEXT://127.0.0.1:{ports.kafka},CONTROLLER://127.0.0.1:{ports.kafka_controller}"
    )
    assert lines["listener.security.protocol.map"] == (
        "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    )
    assert lines["inter.broker.listener.name"] == "SASL_PLAINTEXT"
    assert lines["super.users"] == f"User:{own};User:{admin}"
    assert lines["allow.everyone.if.no.acl.found"] == "false"
    assert "ANONYMOUS" not in properties


def test_the_open_broker_keeps_its_plaintext_listener(tmp_path: Path) -> None:
    properties = broker.server_properties(Settings(state_dir=tmp_path, jars_dir=tmp_path))
    assert "PLAINTEXT://127.0.0.1:9092" in properties
    assert "super.users=User:ANONYMOUS" in properties


def test_flink_stays_on_loopback_under_secure(secure: Settings) -> None:
    exposed = replace(secure, host="192.0.2.2")
    assert exposed.flink_host == "127.0.0.1"
    assert exposed.flink_rest_url.startswith("http://127.0.0.1:")
    assert replace(exposed, secure=False).flink_host == "192.0.2.2"


def test_a_saved_secure_stack_brings_its_admin_key(secure: Settings) -> None:
    security.ensure_stack_keys(secure)
    config.save(secure)
    saved = config.load_saved(secure.state_dir)
    assert saved is not None and saved.secure
    admin = read_properties(secure.client_properties_file, {})
    assert saved.kafka_security["sasl.username"] == admin["sasl.username"]
    assert saved.registry_auth == (admin["sasl.username"], admin["sasl.password"])


def test_a_saved_secure_stack_without_its_key_says_what_to_do(secure: Settings) -> None:
    config.save(secure)
    with pytest.raises(ConfigError, match=r"admin key is missing .*`ccflink up --secure`"):
        config.load_saved(secure.state_dir)
