"""API keys as on Confluent Cloud, made of Kafka's own security: SASL/SCRAM and ACLs.

`create_api_key(settings, "fraud-producer", "transactions")` gives a service account a key and
a secret that authenticate on the broker's SASL listener (`kafka_sasl` port) and may WRITE and
DESCRIBE that topic only; the broker's StandardAuthorizer refuses everything else. The
PLAINTEXT listener stays open to everything local (it is `User:ANONYMOUS`, a super user).

Why SCRAM and not PLAIN, as Confluent: PLAIN's users live in the broker's JAAS configuration,
so a new key would need a rewritten file and a broker restart, which interrupts running Flink
jobs and producers. SCRAM credentials are created at run time through the Admin API, kept
salted and hashed in the KRaft metadata log (no password file on the broker), and work at
once. Clients differ in one setting: `sasl.mechanism` is `SCRAM-SHA-256` (or `-512`) instead of
`PLAIN`; `sasl.username` / `sasl.password` are the key and the secret, as on Confluent.

Other differences from Confluent: ACLs name the key (`User:<key>`), not the service account
(Confluent's `User:sa-...`), because Kafka has no key-to-account mapping without a custom
principal builder; the service account is a label recorded with the key. A key here is
created with its topic ACLs in one step (Confluent: `api-key create` then `kafka acl create`).
Every key is also accepted by the Schema Registry when it runs with basic auth
(`registry_basic_auth_file`); on Confluent a registry key is a separate key.

Keys and secrets are kept in `<state>/secrets/api-keys.json` (0600, folder 0700); nothing
here prints or logs a secret.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from emulator.config import Settings
from emulator.kafka.broker import SCRAM_MECHANISMS
from emulator.process import ServiceError

MECHANISM = SCRAM_MECHANISMS[0]  # what clients are told to use
SCRAM_ITERATIONS = 8192  # Kafka's minimum is 4096
_KEY_ALPHABET = string.ascii_uppercase + string.digits  # Confluent: 16 of these
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"  # Confluent: 64 of these
_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")  # Kafka's legal topic names
_TIMEOUT_S = 15.0


class ApiKeyError(ServiceError):
    """An API key could not be created, found or deleted; the message says why."""


@dataclass(frozen=True)
class ApiKey:
    key: str
    service_account: str
    resource: str
    created: str
    secret: str

    @property
    def principal(self) -> str:
        return f"User:{self.key}"

    @property
    def masked_secret(self) -> str:
        return "*" * 12 + self.secret[-4:]

    def masked(self) -> dict[str, str]:
        """What may be shown: everything but the secret, which is masked."""
        return {
            "key": self.key,
            "secret": self.masked_secret,
            "service_account": self.service_account,
            "resource": self.resource,
            "created": self.created,
        }

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"ApiKey(key={self.key!r}, service_account={self.service_account!r}, " + (
            f"resource={self.resource!r}, secret={self.masked_secret!r})"
        )


def sasl_bootstrap_servers(settings: Settings) -> str:
    if not settings.ports.kafka_sasl:
        raise ApiKeyError(
            "the broker has no SASL listener (CCFLINK_KAFKA_SASL_PORT is 0): "
            "set a port and restart the stack (`ccflink down && ccflink up`)"
        )
    return f"{settings.host}:{settings.ports.kafka_sasl}"


def client_config(settings: Settings, key: str, secret: str) -> dict[str, str]:
    """confluent-kafka / librdkafka settings for a key: Confluent's, with SCRAM for PLAIN."""
    return {
        "bootstrap.servers": sasl_bootstrap_servers(settings),
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": MECHANISM,
        "sasl.username": key,
        "sasl.password": secret,
    }


def secrets_dir(settings: Settings) -> Path:
    return settings.state_dir / "secrets"


def keys_file(settings: Settings) -> Path:
    return secrets_dir(settings) / "api-keys.json"


def registry_basic_auth_file(settings: Settings) -> Path:
    """The Schema Registry's `--basic-auth-file` ({key: secret}), kept in step with the keys."""
    path = secrets_dir(settings) / "schema-registry-basic-auth.json"
    if not path.exists():
        _write_private(path, {})
    return path


def create_api_key(
    settings: Settings, service_account: str, resource_topic: str
) -> tuple[str, str]:
    """A new key for `service_account`, allowed to produce to `resource_topic` only.

    The SCRAM credential and the ACLs are in force on the broker when this returns.
    """
    _check_name("service account", service_account)
    _check_name("topic", resource_topic)
    if resource_topic in {".", ".."}:
        raise ApiKeyError(f"{resource_topic!r} is not a legal topic name")
    sasl_bootstrap_servers(settings)
    key = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(64))
    api_key = ApiKey(
        key=key,
        service_account=service_account,
        resource=resource_topic,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        secret=secret,
    )
    with _locked(settings):
        admin = _admin(settings)
        try:
            _upsert_credentials(admin, key, secret)
            _create_acls(admin, api_key)
            _wait(lambda: _has_credentials(admin, key), f"the SCRAM credential of {key}")
            _wait(lambda: len(_acls(admin, key)) == len(_acl_bindings(api_key)), f"ACLs of {key}")
            keys = _load(settings)
            keys[key] = api_key
            _save(settings, keys)
        except BaseException:
            with contextlib.suppress(Exception):
                _revoke(admin, key)
            raise
    return key, secret


def list_api_keys(settings: Settings) -> list[dict[str, str]]:
    """Every key of this state folder, oldest first, secrets masked."""
    keys = sorted(_load(settings).values(), key=lambda k: (k.created, k.key))
    return [api_key.masked() for api_key in keys]


def get_api_key(settings: Settings, key: str) -> ApiKey:
    """One key with its secret, for code that connects with it (never print `.secret`)."""
    try:
        return _load(settings)[key]
    except KeyError:
        raise ApiKeyError(f"no API key {key!r} in {keys_file(settings)}") from None


def delete_api_key(settings: Settings, key: str) -> None:
    """Remove the key's credential and ACLs from the broker, then forget it.

    New connections with it are refused at once; a connection already authenticated keeps its
    session (Kafka re-authenticates only with `connections.max.reauth.ms`) but its requests
    are refused, because its ACLs are gone.
    """
    with _locked(settings):
        keys = _load(settings)
        if key not in keys:
            raise ApiKeyError(f"no API key {key!r} in {keys_file(settings)}")
        admin = _admin(settings)
        _revoke(admin, key)
        _wait(lambda: not _has_credentials(admin, key), f"removal of {key}'s credential")
        _wait(lambda: not _acls(admin, key), f"removal of {key}'s ACLs")
        del keys[key]
        _save(settings, keys)


# -- the broker ----------------------------------------------------------------------------------


def _admin(settings: Settings) -> AdminClient:
    # PLAINTEXT is User:ANONYMOUS, a super user: it may alter credentials and ACLs.
    admin = AdminClient({"bootstrap.servers": settings.bootstrap_servers, "log_level": 0})
    try:
        admin.list_topics(timeout=5)
    except KafkaException as error:
        raise ApiKeyError(
            f"the broker at {settings.bootstrap_servers} does not answer "
            f"({error.args[0].str()}): start the stack with `ccflink up`"
        ) from error
    return admin


def _result(futures: Any, what: str) -> Any:
    """Wait for an Admin API call; a broker that does not answer is an ApiKeyError."""
    items = futures.values() if isinstance(futures, dict) else [futures]
    try:
        return [future.result(timeout=_TIMEOUT_S) for future in items]
    except KafkaException as error:
        kafka_error = error.args[0]
        hint = " (is the stack up?)" if kafka_error.code() < 0 else ""  # librdkafka's own errors
        raise ApiKeyError(f"{what} failed: {kafka_error.str()}{hint}") from error
    except TimeoutError as error:
        raise ApiKeyError(
            f"{what}: no answer within {_TIMEOUT_S:.0f} s (is the stack up?)"
        ) from error


def _scram(mechanism: str) -> ScramMechanism:
    return ScramMechanism[mechanism.replace("-", "_")]


def _upsert_credentials(admin: AdminClient, key: str, secret: str) -> None:
    for mechanism in SCRAM_MECHANISMS:  # the broker takes one alteration per user per request
        upsertion = UserScramCredentialUpsertion(
            key, ScramCredentialInfo(_scram(mechanism), SCRAM_ITERATIONS), secret.encode()
        )
        _result(
            admin.alter_user_scram_credentials([upsertion], request_timeout=_TIMEOUT_S),
            f"creating the {mechanism} credential",
        )


def _has_credentials(admin: AdminClient, key: str) -> bool:
    try:
        description = admin.describe_user_scram_credentials([key])[key].result(timeout=_TIMEOUT_S)
    except KafkaException as error:
        if error.args[0].code() == KafkaError.RESOURCE_NOT_FOUND:
            return False
        raise
    return len(description.scram_credential_infos) == len(SCRAM_MECHANISMS)


def _acl_bindings(api_key: ApiKey) -> list[AclBinding]:
    """WRITE and DESCRIBE on the topic: what a producer, idempotent or not, needs in Kafka 4.

    Since Kafka 3.0 (KIP-679) an idempotent producer's InitProducerId is allowed to any
    principal with WRITE on a topic, so no IDEMPOTENT_WRITE on the cluster.
    """
    return [
        AclBinding(
            ResourceType.TOPIC,
            api_key.resource,
            ResourcePatternType.LITERAL,
            api_key.principal,
            "*",
            operation,
            AclPermissionType.ALLOW,
        )
        for operation in (AclOperation.WRITE, AclOperation.DESCRIBE)
    ]


def _create_acls(admin: AdminClient, api_key: ApiKey) -> None:
    _result(admin.create_acls(_acl_bindings(api_key), request_timeout=_TIMEOUT_S), "creating ACLs")


def _principal_filter(key: str) -> AclBindingFilter:
    return AclBindingFilter(
        ResourceType.ANY,
        None,
        ResourcePatternType.ANY,
        f"User:{key}",
        None,
        AclOperation.ANY,
        AclPermissionType.ANY,
    )


def _acls(admin: AdminClient, key: str) -> list[AclBinding]:
    return _result(
        admin.describe_acls(_principal_filter(key), request_timeout=_TIMEOUT_S), "describing ACLs"
    )[0]


def _revoke(admin: AdminClient, key: str) -> None:
    for mechanism in SCRAM_MECHANISMS:
        deletion = UserScramCredentialDeletion(key, _scram(mechanism))
        future = admin.alter_user_scram_credentials([deletion], request_timeout=_TIMEOUT_S)[key]
        try:
            future.result(timeout=_TIMEOUT_S)
        except KafkaException as error:  # already gone is fine
            if error.args[0].code() != KafkaError.RESOURCE_NOT_FOUND:
                raise ApiKeyError(f"deleting {key}'s credential failed: {error}") from error
        except TimeoutError as error:
            raise ApiKeyError(
                f"deleting {key}'s credential timed out (is the stack up?)"
            ) from error
    _result(
        admin.delete_acls([_principal_filter(key)], request_timeout=_TIMEOUT_S), "deleting ACLs"
    )


def _wait(condition: Callable[[], bool], what: str) -> None:
    """The Admin API answers once the controller committed; the broker applies it just after."""
    deadline = time.monotonic() + _TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise ApiKeyError(f"the broker did not apply {what} within {_TIMEOUT_S:.0f} s")
        time.sleep(0.1)


# -- the state folder ----------------------------------------------------------------------------


def _check_name(what: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ApiKeyError(f"{what} {name!r}: use 1 to 249 of A-Z a-z 0-9 . _ -")


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    """One key change at a time per state folder (two `api-key create` at once stay whole)."""
    secrets_dir(settings).mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(secrets_dir(settings) / ".api-keys.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def _load(settings: Settings) -> dict[str, ApiKey]:
    path = keys_file(settings)
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {key: ApiKey(key=key, **fields) for key, fields in data.get("keys", {}).items()}


def _save(settings: Settings, keys: dict[str, ApiKey]) -> None:
    stored = {
        key: {
            "service_account": k.service_account,
            "resource": k.resource,
            "created": k.created,
            "secret": k.secret,
        }
        for key, k in keys.items()
    }
    _write_private(keys_file(settings), {"mechanism": MECHANISM, "keys": stored})
    _write_private(registry_basic_auth_file(settings), {key: k.secret for key, k in keys.items()})


def _write_private(path: Path, data: object) -> None:
    """Replace `path` atomically with a file only its owner can read (0600, folder 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(data, file, indent=2)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
