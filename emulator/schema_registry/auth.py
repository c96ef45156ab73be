"""HTTP basic auth for the Schema Registry, as on Confluent Cloud: API key and secret.

A WSGI middleware over the registry's app: with it, every request must carry
`Authorization: Basic base64(key:secret)` with a key of the users file, else it is answered
401 with Confluent's body `{"error_code": 401, "message": "Unauthorized"}`.

The users file is the API keys' credentials file, the one the broker's SASL/PLAIN listener
reads: a salted PBKDF2 hash per key, never the secret (`security.parse_credentials`), readable
by its owner only (0600; a file that group or others may read is refused). It is re-read when
it changes, so keys made or deleted by `ccflink api-key` (emulator/kafka/security.py) take
effect without a restart. A missing, unreadable or malformed file lets nobody in. Secrets are
never logged.

A key's role (roles.py) comes from the keys' records beside the users file (`api-keys.json`,
written by the same command); a key with no role there, or no records file at all, is a
ResourceOwner, as every key was before roles. A request its role does not allow is answered 403
with Confluent's `{"error_code": 40301, ...}`. A malformed records file lets nobody in.

A secret once checked is remembered (a bounded LRU of key, its stored hash and a keyed BLAKE2
digest of the secret) so a client does not pay PBKDF2's 4,096 rounds per request; a replaced or
deleted key's entries no longer match, and failures are never remembered.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.kafka.security import (
    DEFAULT_REGISTRY_ROLE,
    KEYS_FILE_NAME,
    UNKNOWN_KEY,
    SecretHash,
    parse_credentials,
    registry_roles,
)
from emulator.schema_registry import roles

log = logging.getLogger("schema_registry.auth")

UNAUTHORIZED_BODY = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
_REALM = 'Basic realm="SchemaRegistry"'
CACHE_SIZE = 1024  # clients x keys a registry serves at once, with room to spare


class UsersFileError(ValueError):
    """The users file is unsafe or not a credentials file."""


def load_users(path: Path) -> dict[str, SecretHash]:
    """The file's {key: hash}; UsersFileError if others may read it or it is malformed."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise UsersFileError(
            f"{path} is readable by others (mode {mode:o}): `chmod 600 {path}` first"
        )
    try:
        return parse_credentials(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise UsersFileError(f"{path}: not readable ({error})") from None
    except ValueError as error:
        raise UsersFileError(f"{path}: not a credentials file ({error})") from None


def credentials(authorization: str) -> tuple[str, str] | None:
    """(key, secret) from an `Authorization: Basic ...` header; None if it is not one."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, secret = decoded.partition(":")
    return (key, secret) if colon else None


def load_roles(path: Path) -> dict[str, str]:
    """{key: registry role} of the keys' records; none if there is no records file."""
    try:
        return registry_roles(path)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise UsersFileError(str(error)) from None


@dataclass(frozen=True)
class Keys:
    """The keys the registry accepts, and each one's role."""

    hashes: dict[str, SecretHash] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    def role(self, key: str) -> str:
        return self.roles.get(key, DEFAULT_REGISTRY_ROLE)


class CheckedSecrets:
    """Secrets that matched their key's hash: an LRU of at most `size` entries.

    An entry is the key, the hash it matched (so a replaced key's entries match nothing) and a
    BLAKE2 digest of the secret under a key made at start (never the secret itself).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._digest_key = secrets.token_bytes(32)
        self._entries: OrderedDict[tuple[str, SecretHash, bytes], None] = OrderedDict()
        self._lock = threading.Lock()

    def _entry(self, key: str, hashed: SecretHash, secret: str) -> tuple[str, SecretHash, bytes]:
        digest = hashlib.blake2b(secret.encode(), key=self._digest_key).digest()
        return (key, hashed, digest)

    def matches(self, key: str, hashed: SecretHash, secret: str) -> bool:
        """Whether `secret` is the key's: remembered, or checked with PBKDF2 and remembered."""
        entry = self._entry(key, hashed, secret)
        with self._lock:
            if entry in self._entries:
                self._entries.move_to_end(entry)
                return True
        if not hashed.matches(secret):
            return False
        with self._lock:
            self._entries[entry] = None
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return True


class BasicAuth:
    """WSGI middleware: `app` is reached only with a known key, its secret and a role that
    allows the request."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        users_file: Path,
        roles_file: Path | None = None,
        cache_size: int = CACHE_SIZE,
    ) -> None:
        self.app = app
        self.users_file = Path(users_file)
        self.roles_file = Path(roles_file or self.users_file.with_name(KEYS_FILE_NAME))
        self._lock = threading.Lock()
        self._checked = CheckedSecrets(cache_size)
        self._keys = Keys()
        if self.users_file.exists():
            # Refuse to start on an unsafe or malformed file.
            self._keys = Keys(load_users(self.users_file), load_roles(self.roles_file))
        else:
            log.warning("basic auth: %s does not exist yet; refusing everyone", self.users_file)
        self._version = self._stat()

    def _stat(self) -> tuple[tuple[int, ...] | None, ...]:
        return tuple(_file_version(path) for path in (self.users_file, self.roles_file))

    def keys(self) -> Keys:
        """The current keys, re-read when either file changed (replaced, edited, chmod-ed)."""
        version = self._stat()
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self._keys = self._reload()
                    self._version = version
        return self._keys

    def _reload(self) -> Keys:
        try:
            keys = Keys(load_users(self.users_file), load_roles(self.roles_file))
        except FileNotFoundError:
            log.warning("basic auth: %s is gone; refusing everyone", self.users_file)
            return Keys()
        except (OSError, UsersFileError) as error:
            log.error("basic auth: %s; refusing everyone", error)
            return Keys()
        log.info("basic auth: %d API key(s) from %s", len(keys.hashes), self.users_file)
        return keys

    def role(self, authorization: str) -> str | None:
        """The role of the key an `Authorization` header proves; None if it proves none."""
        given = credentials(authorization)
        if given is None:
            return None
        key, secret = given
        keys = self.keys()
        expected = keys.hashes.get(key)
        if expected is None:
            UNKNOWN_KEY.matches(secret)  # as slow as a known key's refusal
            return None
        return keys.role(key) if self._checked.matches(key, expected, secret) else None

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        role = self.role(environ.get("HTTP_AUTHORIZATION", ""))
        if role is None:
            return _answer(start_response, "401 Unauthorized", UNAUTHORIZED_BODY, _REALM)
        refusal = roles.refusal(
            role, environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        )
        if refusal is not None:
            body = json.dumps({"error_code": 40301, "message": refusal}).encode()
            return _answer(start_response, "403 Forbidden", body)
        return self.app(environ, start_response)


def _file_version(path: Path) -> tuple[int, ...] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size, stat.st_mode)


def _answer(
    start_response: Callable, status: str, body: bytes, realm: str | None = None
) -> Iterable[bytes]:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    if realm is not None:
        headers.append(("WWW-Authenticate", realm))
    start_response(status, headers)
    return [body]
