"""HTTP basic auth for the Schema Registry, as on Confluent Cloud: API key and secret.

A WSGI middleware over the registry's app: with it, every request must carry
`Authorization: Basic base64(key:secret)` with a key of the users file, else it is answered
401 with Confluent's body `{"error_code": 401, "message": "Unauthorized"}`.

The users file is a JSON object `{key: secret}` readable by its owner only (0600; a file that
group or others may read is refused). It is re-read when it changes, so keys made by
`ccflink api-key create` (emulator/kafka/security.py keeps it in step) work without a restart.
A missing, unreadable or malformed file lets nobody in. Secrets are never logged.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("schema_registry.auth")

UNAUTHORIZED_BODY = json.dumps({"error_code": 401, "message": "Unauthorized"}).encode()
_REALM = 'Basic realm="SchemaRegistry"'
_NO_SECRET = "\0" * 64  # compared against when the key is unknown, so both take as long


class UsersFileError(ValueError):
    """The users file is unsafe or not a JSON object of key -> secret."""


def load_users(path: Path) -> dict[str, str]:
    """The file's {key: secret}; UsersFileError if others may read it or it is malformed."""
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise UsersFileError(
            f"{path} is readable by others (mode {mode:o}): `chmod 600 {path}` first"
        )
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsersFileError(f"{path}: not a readable JSON object ({error})") from None
    if not isinstance(data, dict) or not all(
        isinstance(key, str) and isinstance(secret, str) and key and secret
        for key, secret in data.items()
    ):
        raise UsersFileError(f"{path}: expected a JSON object of API key -> secret (strings)")
    return data


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
        self._users: dict[str, str] = {}
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

    def users(self) -> dict[str, str]:
        """The current keys, re-read when the file changed (replaced, edited, chmod-ed)."""
        version = self._stat()
        if version != self._version:
            with self._lock:
                if version != self._version:
                    self._users = self._reload()
                    self._version = version
        return self._users

    def _reload(self) -> dict[str, str]:
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
        matches = hmac.compare_digest(secret.encode(), (expected or _NO_SECRET).encode())
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
