"""Stand-ins for the cluster in unit tests: confluent-kafka's AdminClient, and a Schema Registry
that answers confluent-kafka's own registry client at its HTTP transport, so the client code
runs as it does against a real registry and the requests checked are the ones it sent."""

from __future__ import annotations

import json
import threading
from types import SimpleNamespace
from typing import Any, ClassVar
from urllib.parse import unquote

import httpx2
import pytest


class FakeAdmin:
    """`AdminClient` as the producers use it: a cluster where both of their topics exist.

    `configs` collects the connection settings each client was made with (a test resets it);
    the Python logger librdkafka's log goes to is not one of them.
    """

    configs: ClassVar[list[dict[str, Any]]] = []

    def __init__(self, config: dict[str, Any]) -> None:
        FakeAdmin.configs.append({k: v for k, v in config.items() if k != "logger"})

    def list_topics(self, timeout: float) -> SimpleNamespace:
        return SimpleNamespace(topics={"transactions": object(), "identities": object()})


class FakeRegistry:
    """Answers `POST /subjects/<s>/versions` (a new id each time) and
    `GET /subjects/<s>/versions/latest` (the subject's latest, else 404 as the registry says).

    `subjects` are registered first, as tables declare them. `requests` are the requests
    received, `schemas` the registered schemas by id.
    """

    def __init__(self, subjects: dict[str, Any] | None = None) -> None:
        self.subjects: dict[str, Any] = {}
        self.ids: dict[str, int] = {}  # each subject's latest schema id
        self.requests: list[httpx2.Request] = []
        self.schemas: dict[int, Any] = {}
        self._lock = threading.Lock()  # producers register from one thread per topic
        for subject, schema in (subjects or {}).items():
            self._register(subject, schema)

    def _register(self, subject: str, schema: Any) -> int:
        schema_id = len(self.schemas) + 1
        self.schemas[schema_id] = self.subjects[subject] = schema
        self.ids[subject] = schema_id
        return schema_id

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
        """Answer every HTTP request httpx2 sends (confluent-kafka's HTTP client)."""
        monkeypatch.setattr(
            httpx2.HTTPTransport, "handle_request", lambda _transport, request: self.handle(request)
        )
        return self

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        with self._lock:
            self.requests.append(request)
            match request.method, request.url.path.strip("/").split("/"):
                case "POST", ["subjects", subject, "versions"]:
                    schema = json.loads(json.loads(request.content)["schema"])
                    schema_id = self._register(unquote(subject), schema)
                    return httpx2.Response(200, json={"id": schema_id}, request=request)
                case "GET", ["subjects", subject, "versions", "latest"]:
                    return self._latest(unquote(subject), request)
        raise AssertionError(f"unexpected registry request {request.method} {request.url}")

    def _latest(self, subject: str, request: httpx2.Request) -> httpx2.Response:
        if subject not in self.subjects:
            answer = {"error_code": 40401, "message": f"Subject '{subject}' not found."}
            return httpx2.Response(404, json=answer, request=request)
        answer = {
            "subject": subject,
            "version": 1,
            "id": self.ids[subject],
            "schema": json.dumps(self.subjects[subject]),
        }
        return httpx2.Response(200, json=answer, request=request)
