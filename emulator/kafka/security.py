"""API keys as on Confluent Cloud, made of Kafka's own security: SASL/PLAIN and ACLs.

`create_api_key(settings, "fraud-producer", "transactions")` gives a service account a key and
a secret that log in with SASL/PLAIN on the broker's SASL listener (`kafka_sasl` port), as
Confluent Cloud clients do (`sasl.mechanism=PLAIN`, `sasl.username` = key, `sasl.password` =
secret), and may WRITE and DESCRIBE that topic only; the broker's StandardAuthorizer refuses
everything else. The PLAINTEXT listener stays open to everything local (it is `User:ANONYMOUS`,
a super user).

Kafka's own PLAIN users live in the broker's JAAS configuration, so a new key would need a
broker restart, which interrupts running Flink jobs and producers. Here the broker checks
logins with ccflink's callback handler (emulator/kafka/plain-auth) against the credentials
file, which it re-reads when it changes: a key works, or is refused, from the next login on.
The file keeps a salted PBKDF2-HMAC-SHA256 hash per key, never the secret (`SecretHash`); the
Schema Registry's basic auth reads the same file (emulator/schema_registry/auth.py).

Differences from Confluent that remain: the listener is SASL_PLAINTEXT on localhost, not
SASL_SSL. ACLs name the key (`User:<key>`), not the service account (Confluent's `User:sa-...`),
because Kafka has no key-to-account mapping without a custom principal builder; the service
account is a label recorded with the key. A key is created with its topic ACLs in one step
(Confluent: `api-key create` then `kafka acl create`), and is also a Schema Registry key (on
Confluent a registry key is a separate key).

A key also has a Schema Registry role, as Confluent's RBAC roles on subjects (what each may do
is the registry's: emulator/schema_registry/roles.py): ResourceOwner (everything; the default,
and the role of keys made before roles existed), DeveloperWrite, DeveloperRead.

Files, in `<state>/secrets/` (0700): `api-key-credentials` (the hashes, 0600) and
`api-keys.json` (service account, topic, registry role and creation time of each key, 0600;
the registry reads the roles from it). The secret is shown once, by `ccflink api-key create`;
nothing here prints, logs or stores it.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from emulator.config import Settings
from emulator.kafka.broker import MECHANISM, broker_login_file, credentials_file, secrets_dir
from emulator.process import ServiceError

HASH_SCHEME = "pbkdf2-sha256"
# The secrets are 384 random bits, so the hash needs no slowness against guessing: a few
# milliseconds per login (and per registry request) is enough.
HASH_ITERATIONS = 4096
DIGEST_BYTES = 32  # SHA-256's
_KEY_ALPHABET = string.ascii_uppercase + string.digits  # Confluent: 16 of these
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"  # Confluent: 64 of these
_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")  # Kafka's legal topic names
_TIMEOUT_S = 15.0
REGISTRY_ROLES = ("ResourceOwner", "DeveloperWrite", "DeveloperRead")
DEFAULT_REGISTRY_ROLE = "ResourceOwner"
KEYS_FILE_NAME = "api-keys.json"
# The service accounts of `up --secure`'s own keys (ensure_stack_keys).
STACK_ADMIN_ACCOUNT = "ccflink-admin"
BROKER_ACCOUNT = "ccflink-broker"
_V = TypeVar("_V")
_CREDENTIALS_HEADER = (
    "# ccflink API keys (emulator/kafka/security.py), read by the broker and the registry.\n"
    f"# <key> {HASH_SCHEME} <iterations> <salt, base64> <PBKDF2-HMAC-SHA256, base64>\n"
)


class ApiKeyError(ServiceError):
    """An API key could not be created, found or deleted; the message says why."""


@dataclass(frozen=True)
class ApiKey:
    """What is kept about a key: everything but its secret."""

    key: str
    service_account: str
    resource: str
    created: str
    registry_role: str = DEFAULT_REGISTRY_ROLE

    @property
    def principal(self) -> str:
        return f"User:{self.key}"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class SecretHash:
    """A secret as the credentials file keeps it; the broker computes the same (SecretHash.java)."""

    iterations: int
    salt: bytes
    digest: bytes

    @classmethod
    def of(cls, secret: str) -> SecretHash:
        salt = secrets.token_bytes(16)
        return cls(HASH_ITERATIONS, salt, _pbkdf2(secret, salt, HASH_ITERATIONS))

    def matches(self, secret: str) -> bool:
        """Whether `secret` hashes to this digest, compared in constant time."""
        derived = _pbkdf2(secret, self.salt, self.iterations, len(self.digest))
        return hmac.compare_digest(derived, self.digest)

    def fields(self) -> str:
        salt, digest = (base64.b64encode(value).decode() for value in (self.salt, self.digest))
        return f"{HASH_SCHEME} {self.iterations} {salt} {digest}"


# Compared against when a key is unknown, so that both refusals take as long.
UNKNOWN_KEY = SecretHash(HASH_ITERATIONS, bytes(16), bytes(DIGEST_BYTES))


def _pbkdf2(secret: str, salt: bytes, iterations: int, length: int = DIGEST_BYTES) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations, length)


def parse_credentials(text: str) -> dict[str, SecretHash]:
    """{key: hash} of a credentials file; ValueError naming the first malformed line."""
    hashes = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            key, hashes[key] = _parse_line(line)
        except ValueError as error:
            raise ValueError(f"line {number}: {error}") from None
    return hashes


def _parse_line(line: str) -> tuple[str, SecretHash]:
    fields = line.split()
    if len(fields) != 5 or fields[1] != HASH_SCHEME:
        raise ValueError(f"expected <key> {HASH_SCHEME} <iterations> <salt> <hash>")
    key, _, iterations, salt, digest = fields
    try:
        hashed = SecretHash(int(iterations), _b64(salt), _b64(digest))
    except ValueError:  # binascii.Error is one
        raise ValueError("iterations, salt or hash is not a number or base64") from None
    if hashed.iterations < 1 or not hashed.salt or len(hashed.digest) != DIGEST_BYTES:
        raise ValueError("iterations, salt or hash out of range")
    return key, hashed


def _b64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def format_credentials(hashes: dict[str, SecretHash]) -> str:
    return _CREDENTIALS_HEADER + "".join(f"{key} {h.fields()}\n" for key, h in hashes.items())


def sasl_bootstrap_servers(settings: Settings) -> str:
    if settings.secure:  # every listener for clients is SASL
        return f"{settings.host}:{settings.ports.kafka}"
    if not settings.ports.kafka_sasl:
        raise ApiKeyError(
            "the broker has no SASL listener (CCFLINK_KAFKA_SASL_PORT is 0): "
            "set a port and restart the stack (`ccflink down && ccflink up`)"
        )
    return f"{settings.host}:{settings.ports.kafka_sasl}"


def client_config(settings: Settings, key: str, secret: str) -> dict[str, str]:
    """confluent-kafka / librdkafka settings for a key: Confluent's, with SASL_PLAINTEXT."""
    return {
        "bootstrap.servers": sasl_bootstrap_servers(settings),
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": MECHANISM,
        "sasl.username": key,
        "sasl.password": secret,
    }


def keys_file(settings: Settings) -> Path:
    """The keys' records, beside the credentials file (where the registry looks for roles)."""
    return secrets_dir(settings) / KEYS_FILE_NAME


def create_api_key(
    settings: Settings,
    service_account: str,
    resource_topic: str,
    registry_role: str = DEFAULT_REGISTRY_ROLE,
) -> tuple[str, str]:
    """A new key for `service_account`, allowed to produce to `resource_topic` only, and to do
    what `registry_role` allows on the Schema Registry.

    Its ACLs are in force on the broker, and its hash in the credentials file, when this
    returns: the next login with it succeeds, without restarting the broker.
    """
    if registry_role not in REGISTRY_ROLES:
        raise ApiKeyError(
            f"unknown registry role {registry_role!r}: use one of {', '.join(REGISTRY_ROLES)}"
        )
    _check_name("service account", service_account)
    _check_name("topic", resource_topic)
    if resource_topic in {".", ".."}:
        raise ApiKeyError(f"{resource_topic!r} is not a legal topic name")
    sasl_bootstrap_servers(settings)
    key, secret = _new_key_pair()
    api_key = ApiKey(
        key=key,
        service_account=service_account,
        resource=resource_topic,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        registry_role=registry_role,
    )
    with _locked(settings):
        admin = _admin(settings)
        try:
            _create_acls(admin, api_key)
            _wait(lambda: len(_acls(admin, key)) == len(_acl_bindings(api_key)), f"ACLs of {key}")
            _save_keys(settings, {**_load_keys(settings), key: api_key})
            _save_hashes(settings, {**_load_hashes(settings), key: SecretHash.of(secret)})
        except BaseException:
            _undo_create(settings, admin, key)
            raise
    return key, secret


def ensure_stack_keys(settings: Settings) -> None:
    """Under --secure, the stack's own keys, made once per state folder: the admin key (a
    super user, written as a Confluent client configuration for ccflink's clients and yours)
    and the broker's key (its inter-broker and controller logins). Both only as hashes in the
    credentials file; the secrets in 0600 files of the secrets folder."""
    admin_file, broker_file = settings.client_properties_file, broker_login_file(settings)
    with _locked(settings):
        if admin_file.is_file() and broker_file.is_file():
            return
        made = {name: _new_key_pair() for name in (STACK_ADMIN_ACCOUNT, BROKER_ACCOUNT)}
        created = datetime.now(UTC).isoformat(timespec="seconds")
        records = {key: ApiKey(key, name, "*", created) for name, (key, _) in made.items()}
        hashes = {key: SecretHash.of(secret) for key, secret in made.values()}
        _save_hashes(settings, {**_load_hashes(settings), **hashes})
        _save_keys(settings, {**_load_keys(settings), **records})
        broker_key, broker_secret = made[BROKER_ACCOUNT]
        _write_private(broker_file, f"sasl.username={broker_key}\nsasl.password={broker_secret}\n")
        _write_private(admin_file, _client_properties(settings, *made[STACK_ADMIN_ACCOUNT]))


def _new_key_pair() -> tuple[str, str]:
    """A key and a secret in Confluent's shapes (16 of A-Z 0-9; 64 of base64's alphabet)."""
    key = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
    return key, "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(64))


def _client_properties(settings: Settings, key: str, secret: str) -> str:
    """A Confluent Cloud client configuration for this stack (`ccflink --profile FILE` reads it)."""
    lines = {
        "bootstrap.servers": f"{settings.host}:{settings.ports.kafka}",
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": MECHANISM,
        "sasl.username": key,
        "sasl.password": secret,
        "schema.registry.url": f"http://{settings.host}:{settings.ports.schema_registry}",
        "basic.auth.credentials.source": "USER_INFO",
        "basic.auth.user.info": f"{key}:{secret}",
        "flink.rest.url": f"http://{settings.flink_host}:{settings.ports.flink_rest}",
    }
    header = "# `ccflink up --secure`: this stack's admin API key (a super user). Keep it secret.\n"
    return header + "".join(f"{name}={value}\n" for name, value in lines.items())


def list_api_keys(settings: Settings) -> list[dict[str, str]]:
    """Every key of this state folder, oldest first (secrets are not kept)."""
    keys = sorted(_load_keys(settings).values(), key=lambda k: (k.created, k.key))
    return [api_key.as_dict() for api_key in keys]


def delete_api_key(settings: Settings, key: str) -> None:
    """Remove the key's hash, then its ACLs from the broker, then forget it.

    New logins with it are refused at once; a connection already authenticated keeps its
    session (Kafka re-authenticates only with `connections.max.reauth.ms`) but its requests
    are refused, because its ACLs are gone.
    """
    with _locked(settings):
        keys = _load_keys(settings)
        if key not in keys:
            raise ApiKeyError(f"no API key {key!r} in {keys_file(settings)}")
        admin = _admin(settings)
        _save_hashes(settings, _without(_load_hashes(settings), key))
        _delete_acls(admin, key)
        _wait(lambda: not _acls(admin, key), f"removal of {key}'s ACLs")
        _save_keys(settings, _without(keys, key))


def _undo_create(settings: Settings, admin: AdminClient, key: str) -> None:
    """Best effort after a failed create: no hash, no record, no ACLs left for the key."""
    with contextlib.suppress(Exception):
        _save_hashes(settings, _without(_load_hashes(settings), key))
    with contextlib.suppress(Exception):
        _save_keys(settings, _without(_load_keys(settings), key))
    with contextlib.suppress(Exception):
        _delete_acls(admin, key)


def _without(mapping: dict[str, _V], key: str) -> dict[str, _V]:
    return {k: v for k, v in mapping.items() if k != key}


# -- the broker ----------------------------------------------------------------------------------


def _admin(settings: Settings) -> AdminClient:
    # PLAINTEXT is User:ANONYMOUS, a super user, and under --secure the admin key is one: both
    # may alter ACLs.
    admin = AdminClient(
        {"bootstrap.servers": settings.bootstrap_servers, **settings.kafka_security, "log_level": 0}
    )
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


def _delete_acls(admin: AdminClient, key: str) -> None:
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


def _load_keys(settings: Settings) -> dict[str, ApiKey]:
    path = keys_file(settings)
    return _parse_keys(path.read_text()) if path.exists() else {}


def _parse_keys(text: str) -> dict[str, ApiKey]:
    stored = json.loads(text).get("keys", {})
    return {
        key: ApiKey(
            key,
            fields["service_account"],
            fields["resource"],
            fields["created"],
            fields.get("registry_role", DEFAULT_REGISTRY_ROLE),
        )
        for key, fields in stored.items()
    }


def registry_roles(path: Path) -> dict[str, str]:
    """{key: registry role} of a keys file; ValueError if it is not one (OSError if unreadable)."""
    try:
        keys = _parse_keys(path.read_text())
    except (json.JSONDecodeError, AttributeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a keys file ({type(error).__name__}: {error})") from None
    return {key: api_key.registry_role for key, api_key in keys.items()}


def _save_keys(settings: Settings, keys: dict[str, ApiKey]) -> None:
    stored = {
        key: {k: v for k, v in api_key.as_dict().items() if k != "key"}
        for key, api_key in keys.items()
    }
    _write_private(keys_file(settings), json.dumps({"keys": stored}, indent=2))


def _load_hashes(settings: Settings) -> dict[str, SecretHash]:
    path = credentials_file(settings)
    return parse_credentials(path.read_text()) if path.exists() else {}


def _save_hashes(settings: Settings, hashes: dict[str, SecretHash]) -> None:
    _write_private(credentials_file(settings), format_credentials(hashes))


def _write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a file only its owner can read (0600, folder 0700).

    Readers (the broker, the registry) never see half a file, and see a new inode.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
