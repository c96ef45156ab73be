"""A minimal REST client for the registry calls the emulator itself makes."""

from __future__ import annotations

import json
from typing import Any

import requests
from confluent_kafka.schema_registry import SchemaRegistryClient as ConfluentRegistryClient

REQUEST_TIMEOUT_S = 10


def registry_client(url: str, auth: tuple[str, str] | None = None) -> ConfluentRegistryClient:
    """confluent-kafka's client for `url`; `auth` is (API key, secret) for basic auth.

    One attempt per call, within 10 s: a registry that is down fails the call at once.
    """
    config: dict[str, str | int] = {"url": url, "timeout": REQUEST_TIMEOUT_S, "max.retries": 0}
    if auth is not None:
        config["basic.auth.user.info"] = ":".join(auth)
    return ConfluentRegistryClient(config)


class SchemaRegistryClient:
    def __init__(self, url: str, auth: tuple[str, str] | None = None) -> None:
        """`auth`: (API key, secret) for a registry that requires HTTP basic auth."""
        self.url = url.rstrip("/")
        self._session = requests.Session()
        if auth is not None:
            self._session.auth = auth

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        response = self._session.post(
            f"{self.url}/subjects/{subject}/versions",
            json={"schema": json.dumps(schema)},
            timeout=10,
        )
        if not response.ok:
            raise RuntimeError(
                f"Schema Registry refused the schema for subject {subject!r}: "
                f"HTTP {response.status_code} {response.text}"
            )
        return int(response.json()["id"])

    def delete_subject(self, subject: str) -> None:
        for permanent in ("false", "true"):
            self._session.delete(
                f"{self.url}/subjects/{subject}", params={"permanent": permanent}, timeout=10
            )

    def latest(self, subject: str) -> dict[str, Any] | None:
        """The subject's latest version (`schema`, `schemaType`, `id`, ...); None without one."""
        response = self._session.get(f"{self.url}/subjects/{subject}/versions/latest", timeout=10)
        if response.status_code == 404:
            return None
        if not response.ok:
            raise RuntimeError(
                f"Schema Registry: latest version of {subject!r}: "
                f"HTTP {response.status_code} {response.text}"
            )
        return response.json()
