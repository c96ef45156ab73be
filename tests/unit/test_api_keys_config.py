"""API keys without a broker: the broker's listener config, the credentials file and the
registry's basic auth."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from emulator import cli, config
from emulator.config import Ports, Settings
from emulator.kafka import broker, security
from emulator.kafka.security import SecretHash, format_credentials, parse_credentials
from emulator.schema_registry import roles
from emulator.schema_registry.app import create_app
from emulator.schema_registry.auth import BasicAuth, UsersFileError, credentials
from emulator.schema_registry.store import MemoryLog, SchemaStore


def properties(ports: Ports, state: Path = Path("/state")) -> dict[str, str]:
    text = broker.server_properties(Settings(state, Path("/jars"), ports=ports))
    return dict(line.split("=", 1) for line in text.splitlines() if line)


def test_broker_has_a_sasl_listener_with_acls_and_plaintext_as_super_user() -> None:
    props = properties(Ports(kafka=1, kafka_controller=2, kafka_sasl=3))
    assert props["listeners"].split(",") == [
        "PLAINTEXT://127.0.0.1:1",
        "SASL_PLAINTEXT://127.0.0.1:3",
        "CONTROLLER://127.0.0.1:2",
    ]
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:1,SASL_PLAINTEXT://127.0.0.1:3"
    assert "SASL_PLAINTEXT:SASL_PLAINTEXT" in props["listener.security.protocol.map"].split(",")
    assert "CONTROLLER:PLAINTEXT" in props["listener.security.protocol.map"].split(",")
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert props["authorizer.class.name"] == (
        "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    )
    assert props["super.users"] == "User:ANONYMOUS"
    assert props["allow.everyone.if.no.acl.found"] == "false"


def test_sasl_listener_takes_plain_checked_by_ccflinks_handler() -> None:
    props = properties(Ports(kafka=1, kafka_controller=2, kafka_sasl=3))
    assert props["listener.name.sasl_plaintext.sasl.enabled.mechanisms"] == "PLAIN"
    assert props["listener.name.sasl_plaintext.plain.sasl.server.callback.handler.class"] == (
        "io.ccflink.kafka.ApiKeyPlainCallbackHandler"
    )
    assert props["listener.name.sasl_plaintext.plain.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        'ccflink.credentials.file="/state/secrets/api-key-credentials";'
    )
    assert not any(
        "scram" in name.lower() or "scram" in value.lower() for name, value in props.items()
    )


def test_credentials_path_is_escaped_for_jaas_inside_properties() -> None:
    """Properties.load undoes one level of backslashes, JAAS's tokenizer the other."""
    props = properties(Ports(kafka=1, kafka_controller=2, kafka_sasl=3), Path('/st"ate\\x'))
    jaas = props["listener.name.sasl_plaintext.plain.sasl.jaas.config"]
    assert jaas.endswith(r'ccflink.credentials.file="/st\\"ate\\\\x/secrets/api-key-credentials";')


def test_broker_without_sasl_port_is_plaintext_only() -> None:
    props = properties(Ports(kafka=1, kafka_controller=2, kafka_sasl=0))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:1"
    assert not any("sasl" in name or "authorizer" in name for name in props)


def test_sasl_port_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCFLINK_HOME", "/nonexistent-ccflink-state")
    monkeypatch.setenv("CCFLINK_KAFKA_SASL_PORT", "19094")
    assert config.settings_from_env().ports.kafka_sasl == 19094
    assert Ports().kafka_sasl == 9094


# -- registry basic auth ------------------------------------------------------------------------


def basic(key: str, secret: str) -> dict[str, str]:
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def write_users(path: Path, users: dict[str, str], mode: int = 0o600) -> None:
    """A credentials file as `ccflink api-key` writes it, for these keys and secrets."""
    path.write_text(format_credentials({key: SecretHash.of(s) for key, s in users.items()}))
    path.chmod(mode)


@pytest.fixture
def users_file(tmp_path: Path) -> Path:
    path = tmp_path / "users.json"
    write_users(path, {"KEY1": "s3cret:with:colons"})
    return path


@pytest.fixture
def client(users_file: Path) -> FlaskClient:
    app = create_app(SchemaStore(MemoryLog()))
    app.wsgi_app = BasicAuth(app.wsgi_app, users_file)  # what __main__ puts in front
    return app.test_client()


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response.get_json() == {"error_code": 401, "message": "Unauthorized"}
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_known_key_passes(client: FlaskClient) -> None:
    response = client.get("/subjects", headers=basic("KEY1", "s3cret:with:colons"))
    assert response.status_code == 200
    assert response.get_json() == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("KEY1", "wrong"),
        basic("KEY2", "s3cret:with:colons"),
        basic("KEY1", ""),
        {"Authorization": "Bearer s3cret:with:colons"},
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
)
def test_anything_else_is_401_with_confluents_body(client: FlaskClient, headers: dict) -> None:
    assert_unauthorized(client.get("/subjects", headers=headers))
    assert_unauthorized(client.post("/subjects/x-value/versions", headers=headers, json={}))


def test_keys_are_reread_when_the_file_changes(client: FlaskClient, users_file: Path) -> None:
    write_users(users_file, {"KEY2": "new"})
    os.utime(users_file, ns=(1, 1))  # a different mtime even within the clock's resolution
    assert client.get("/subjects", headers=basic("KEY2", "new")).status_code == 200
    assert_unauthorized(client.get("/subjects", headers=basic("KEY1", "s3cret:with:colons")))


def test_a_file_others_may_read_lets_nobody_in(client: FlaskClient, users_file: Path) -> None:
    users_file.chmod(0o644)
    assert_unauthorized(client.get("/subjects", headers=basic("KEY1", "s3cret:with:colons")))


def test_a_missing_file_lets_nobody_in_until_it_exists(tmp_path: Path) -> None:
    path = tmp_path / "later.json"
    app = create_app(SchemaStore(MemoryLog()))
    app.wsgi_app = BasicAuth(app.wsgi_app, path)
    client = app.test_client()
    assert_unauthorized(client.get("/subjects", headers=basic("K", "S")))
    write_users(path, {"K": "S"})
    assert client.get("/subjects", headers=basic("K", "S")).status_code == 200


@pytest.mark.parametrize(
    ("content", "mode"),
    [
        (format_credentials({"K": SecretHash.of("S")}), 0o644),
        ('{"K": "S"}', 0o600),  # the clear secrets of before
        ("K pbkdf2-sha256 4096 c2FsdA==", 0o600),
        ("K pbkdf2-sha256 4096 !!! aGFzaA==", 0o600),
    ],
)
def test_an_unsafe_or_malformed_file_is_refused_at_start(
    tmp_path: Path, content: str, mode: int
) -> None:
    path = tmp_path / "users.json"
    path.write_text(content)
    path.chmod(mode)
    with pytest.raises(UsersFileError):
        BasicAuth(lambda environ, start_response: [], path)


def test_credentials_parsing() -> None:
    assert credentials(basic("K", "a:b")["Authorization"]) == ("K", "a:b")
    assert credentials("basic " + base64.b64encode(b"K:S").decode()) == ("K", "S")
    assert credentials("Basic") is None
    assert credentials("") is None


# -- the credentials file -----------------------------------------------------------------------


def test_a_secret_hash_accepts_its_secret_only() -> None:
    hashed = SecretHash.of("s3cret")
    assert hashed.matches("s3cret")
    assert not hashed.matches("s3cre")
    assert not hashed.matches("")
    assert SecretHash.of("s3cret").salt != hashed.salt  # a new salt each time


def test_the_hash_is_pbkdf2_hmac_sha256_as_the_broker_computes_it() -> None:
    """RFC 7914's PBKDF2-HMAC-SHA256 vector: the same function as Java's PBKDF2WithHmacSHA256."""
    expected = bytes.fromhex("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
    assert hashlib.pbkdf2_hmac("sha256", b"passwd", b"salt", 1, 32) == expected
    assert SecretHash(1, b"salt", expected).matches("passwd")


def test_credentials_file_round_trips_and_keeps_no_secret() -> None:
    hashes = {"KEY1": SecretHash.of("first-secret"), "KEY2": SecretHash.of("second-secret")}
    text = format_credentials(hashes)
    assert parse_credentials(text) == hashes
    assert "first-secret" not in text and "second-secret" not in text
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    assert [line.split()[:3] for line in lines] == [
        ["KEY1", "pbkdf2-sha256", str(security.HASH_ITERATIONS)],
        ["KEY2", "pbkdf2-sha256", str(security.HASH_ITERATIONS)],
    ]


@pytest.mark.parametrize(
    "line",
    [
        "KEY1 pbkdf2-sha256 4096 c2FsdA==",  # a field missing
        "KEY1 sha1 4096 c2FsdA== " + base64.b64encode(bytes(32)).decode(),
        "KEY1 pbkdf2-sha256 many c2FsdA== " + base64.b64encode(bytes(32)).decode(),
        "KEY1 pbkdf2-sha256 0 c2FsdA== " + base64.b64encode(bytes(32)).decode(),
        "KEY1 pbkdf2-sha256 4096 c2FsdA== " + base64.b64encode(bytes(16)).decode(),
        "KEY1 pbkdf2-sha256 4096 not-base64 " + base64.b64encode(bytes(32)).decode(),
    ],
)
def test_a_malformed_line_is_refused_with_its_number(line: str) -> None:
    with pytest.raises(ValueError, match="line 3"):
        parse_credentials(f"# header\n\n{line}\n")


# -- registry roles and the cache of checked secrets ------------------------------------------

SCHEMA = '{"type": "record", "name": "r", "fields": [{"name": "id", "type": "int"}]}'


def write_roles(users_file: Path, roles: dict[str, str | None]) -> None:
    """api-keys.json beside the credentials file, as `ccflink api-key create` writes it."""
    records = {
        key: {"service_account": "sa", "resource": "t", "created": "2026-01-01T00:00:00+00:00"}
        | ({} if role is None else {"registry_role": role})
        for key, role in roles.items()
    }
    path = users_file.with_name(security.KEYS_FILE_NAME)
    path.write_text(json.dumps({"keys": records}))
    path.chmod(0o600)


@pytest.fixture
def roles_client(tmp_path: Path) -> FlaskClient:
    users_file = tmp_path / "api-key-credentials"
    write_users(users_file, {"OWNER": "o", "READER": "r", "WRITER": "w", "OLD": "x", "BARE": "b"})
    write_roles(
        users_file,
        {
            "OWNER": "ResourceOwner",
            "READER": "DeveloperRead",
            "WRITER": "DeveloperWrite",
            "OLD": None,
        },
    )
    app = create_app(SchemaStore(MemoryLog()))
    app.wsgi_app = BasicAuth(app.wsgi_app, users_file)
    return app.test_client()


def assert_denied(response, operation: str, resource: str) -> None:
    assert response.status_code == 403
    assert response.get_json() == {
        "error_code": 40301,
        "message": f"User is denied operation {operation} on {resource}",
    }


def test_a_read_only_key_reads_but_may_not_change_anything(roles_client: FlaskClient) -> None:
    owner, reader = basic("OWNER", "o"), basic("READER", "r")
    register = {"json": {"schema": SCHEMA}}
    assert (
        roles_client.post("/subjects/s-value/versions", headers=owner, **register).status_code
        == 200
    )

    assert roles_client.get("/subjects", headers=reader).get_json() == ["s-value"]
    assert roles_client.get("/schemas/ids/1", headers=reader).status_code == 200
    assert roles_client.get("/config", headers=reader).status_code == 200
    # The POSTs that change nothing: a lookup, a compatibility test.
    assert roles_client.post("/subjects/s-value", headers=reader, **register).status_code == 200
    compatibility = "/compatibility/subjects/s-value/versions/latest"
    assert roles_client.post(compatibility, headers=reader, **register).status_code == 200

    denied = [
        (
            roles_client.post("/subjects/t-value/versions", headers=reader, **register),
            "Write",
            "Subject: t-value",
        ),
        (roles_client.delete("/subjects/s-value", headers=reader), "Delete", "Subject: s-value"),
        (
            roles_client.delete("/subjects/s-value/versions/1", headers=reader),
            "Delete",
            "Subject: s-value",
        ),
        (
            roles_client.put("/config/s-value", headers=reader, json={"compatibility": "NONE"}),
            "AlterCompatibility",
            "Subject: s-value",
        ),
        (
            roles_client.put("/config", headers=reader, json={"compatibility": "NONE"}),
            "AlterCompatibility",
            "the global compatibility level",
        ),
    ]
    for response, operation, resource in denied:
        assert_denied(response, operation, resource)
    assert roles_client.get("/subjects", headers=owner).get_json() == ["s-value"]
    assert roles_client.get("/config", headers=owner).get_json() == {
        "compatibilityLevel": "BACKWARD"
    }


def test_a_write_key_registers_but_may_not_delete_or_configure(roles_client: FlaskClient) -> None:
    writer = basic("WRITER", "w")
    response = roles_client.post(
        "/subjects/s-value/versions", headers=writer, json={"schema": SCHEMA}
    )
    assert response.status_code == 200
    assert_denied(
        roles_client.delete("/subjects/s-value", headers=writer), "Delete", "Subject: s-value"
    )
    assert_denied(
        roles_client.put("/config/s-value", headers=writer, json={"compatibility": "NONE"}),
        "AlterCompatibility",
        "Subject: s-value",
    )


@pytest.mark.parametrize("key", ["OWNER", "OLD", "BARE"])
def test_owners_and_keys_without_a_role_may_do_everything(
    roles_client: FlaskClient, key: str
) -> None:
    """OLD's record has no role (made before roles), BARE has no record: both ResourceOwner."""
    headers = basic(key, {"OWNER": "o", "OLD": "x", "BARE": "b"}[key])
    assert (
        roles_client.post(
            "/subjects/s-value/versions", headers=headers, json={"schema": SCHEMA}
        ).status_code
        == 200
    )
    assert (
        roles_client.put("/config", headers=headers, json={"compatibility": "NONE"}).status_code
        == 200
    )
    assert roles_client.delete("/subjects/s-value", headers=headers).status_code == 200


def test_a_malformed_roles_file_lets_nobody_in(roles_client: FlaskClient, tmp_path: Path) -> None:
    path = tmp_path / security.KEYS_FILE_NAME
    path.write_text("{not json")
    assert_unauthorized(roles_client.get("/subjects", headers=basic("OWNER", "o")))


class CountingHashes:
    """Counts PBKDF2 checks (SecretHash.matches) while delegating to the real one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = SecretHash.matches

        def counted(hashed: SecretHash, secret: str) -> bool:
            self.calls += 1
            return real(hashed, secret)

        monkeypatch.setattr(SecretHash, "matches", counted)


def test_a_checked_secret_is_not_hashed_again(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    hashes = CountingHashes(monkeypatch)
    right, wrong = basic("KEY1", "s3cret:with:colons"), basic("KEY1", "s3cret:with:colonz")
    assert client.get("/subjects", headers=right).status_code == 200
    assert client.get("/subjects", headers=right).status_code == 200
    assert hashes.calls == 1
    assert_unauthorized(client.get("/subjects", headers=wrong))
    assert_unauthorized(client.get("/subjects", headers=wrong))
    assert hashes.calls == 3  # failures are never cached
    assert client.get("/subjects", headers=right).status_code == 200
    assert hashes.calls == 3


def test_a_cached_secret_stops_working_when_its_key_is_deleted_or_replaced(
    client: FlaskClient, users_file: Path
) -> None:
    right = basic("KEY1", "s3cret:with:colons")
    assert client.get("/subjects", headers=right).status_code == 200
    write_users(users_file, {"KEY1": "rotated"})
    os.utime(users_file, ns=(2, 2))
    assert_unauthorized(client.get("/subjects", headers=right))
    assert client.get("/subjects", headers=basic("KEY1", "rotated")).status_code == 200
    write_users(users_file, {"KEY2": "other"})
    os.utime(users_file, ns=(3, 3))
    assert_unauthorized(client.get("/subjects", headers=basic("KEY1", "rotated")))


def test_the_cache_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    users_file = tmp_path / "api-key-credentials"
    users = {f"K{i}": f"s{i}" for i in range(5)}
    write_users(users_file, users)
    auth = BasicAuth(lambda environ, start_response: [], users_file, cache_size=3)
    for key, secret in users.items():
        assert auth.role(basic(key, secret)["Authorization"]) == "ResourceOwner"
    hashes = CountingHashes(monkeypatch)
    for key in ("K4", "K3", "K2"):  # the three most recent stay
        auth.role(basic(key, users[key])["Authorization"])
    assert hashes.calls == 0
    auth.role(basic("K0", users["K0"])["Authorization"])
    assert hashes.calls == 1


# -- registry roles where keys are made ---------------------------------------------------------


def test_an_unknown_registry_role_is_refused_before_anything_is_made(tmp_path: Path) -> None:
    settings = Settings(tmp_path, Path("/jars"), ports=Ports(kafka=1, kafka_sasl=0))
    with pytest.raises(security.ApiKeyError, match=r"registry role 'Admin'.*DeveloperRead"):
        security.create_api_key(settings, "fraud-reader", "transactions", registry_role="Admin")
    assert not (tmp_path / "secrets").exists()


def test_key_records_keep_their_role_and_old_records_are_resource_owners(tmp_path: Path) -> None:
    settings = Settings(tmp_path, Path("/jars"))
    users_file = broker.credentials_file(settings)
    users_file.parent.mkdir(parents=True)
    write_roles(users_file, {"NEW": "DeveloperRead", "OLD": None})
    assert security.keys_file(settings) == users_file.with_name(security.KEYS_FILE_NAME)
    listed = {k["key"]: k["registry_role"] for k in security.list_api_keys(settings)}
    assert listed == {"NEW": "DeveloperRead", "OLD": "ResourceOwner"}
    assert security.registry_roles(security.keys_file(settings)) == listed


def test_api_key_create_names_an_unknown_role_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    argv = ["api-key", "create", "--service-account", "sa", "--resource", "t"]
    code = cli.main([*argv, "--registry-role", "Admin"])
    printed = capsys.readouterr()
    error = printed.out + printed.err
    assert code != 0
    assert "error: unknown registry role 'Admin': use one of " in error
    assert "Traceback" not in error


def test_every_role_a_key_may_have_is_one_the_registry_knows() -> None:
    assert set(roles.ALLOWED) == set(security.REGISTRY_ROLES)
    assert security.DEFAULT_REGISTRY_ROLE == "ResourceOwner"
