"""A minimal REST client for the registry calls the emulator itself makes."""

from __future__ import annotations

import json
from typing import Any

import requests


class SchemaRegistryClient:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self._session = requests.Session()

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
