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
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from emulator.kafka.security import UNKNOWN_KEY, SecretHash, parse_credentials

log = logging.getLogger("schema_registry.auth")

UNAUTHORIZED_BODY = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
_REALM = 'Basic realm="SchemaRegistry"'


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


class BasicAuth:
    """WSGI middleware: `app` is reached only with a known key and its secret."""

    def __init__(self, app: Callable[..., Iterable[bytes]], users_file: Path) -> None:
        self.app = app
        self.users_file = Path(users_file)
        self._lock = threading.Lock()
        self._version: tuple[int, ...] | None = None
        self._users: dict[str, SecretHash] = {}
        if self.users_file.exists():
            self._users = load_users(self.users_file)  # refuse to start on an unsafe file
        else:
            log.warning("basic auth: %s does not exist yet; refusing everyone", self.users_file)
        self._version = self._stat()

    def _stat(self) -> tuple[int, ...] | None:
        try:
            stat = os.stat(self.users_file)
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size, stat.st_mode)

    def users(self) -> dict[str, SecretHash]:
        """The current keys, re-read when the file changed (replaced, edited, chmod-ed)."""
        version = self._stat()
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self._users = self._reload()
                    self._version = version
        return self._users

    def _reload(self) -> dict[str, SecretHash]:
        try:
            users = load_users(self.users_file)
        except FileNotFoundError:
            log.warning("basic auth: %s is gone; refusing everyone", self.users_file)
            return {}
        except (OSError, UsersFileError) as error:
            log.error("basic auth: %s; refusing everyone", error)
            return {}
        log.info("basic auth: %d API key(s) from %s", len(users), self.users_file)
        return users

    def authorized(self, authorization: str) -> bool:
        given = credentials(authorization)
        if given is None:
            return False
        key, secret = given
        expected = self.users().get(key)
        matches = (expected or UNKNOWN_KEY).matches(secret)
        return expected is not None and matches

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if self.authorized(environ.get("HTTP_AUTHORIZATION", "")):
            return self.app(environ, start_response)
        start_response(
            "401 Unauthorized",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(UNAUTHORIZED_BODY))),
                ("WWW-Authenticate", _REALM),
            ],
        )
        return [UNAUTHORIZED_BODY]
