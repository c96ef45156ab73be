"""A stand-in for a Flink JobManager's REST API in unit tests: a real HTTP server on a free
port, so `FlinkRest` runs as it does against Flink and the requests checked are the ones sent.

It answers what stopping a job with a savepoint takes: `POST /jobs/<id>/stop` (a trigger id),
`GET /jobs/<id>/savepoints/<trigger>` (IN_PROGRESS for `polls_before_done` polls, then the
`savepoint` answer), `GET /jobs/<id>` (the job's `states`, RUNNING until the savepoint is
done, then FINISHED), `GET /jobs` (the one job) and `GET /jobs/<id>/exceptions` (its
`exception_entries`). Unknown jobs get Flink's 404 with an `errors` list.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TRIGGER_ID = "6f1c2a"


@dataclass
class Request:
    method: str
    path: str
    body: Any


@dataclass
class FakeFlink:
    job_id: str = "a1b2c3"
    polls_before_done: int = 2
    savepoint: dict[str, Any] = field(
        default_factory=lambda: {"location": "file:/state/savepoints/savepoint-a1b2c3-1"}
    )
    requests: list[Request] = field(default_factory=list)
    exception_entries: list[dict[str, Any]] = field(default_factory=list)  # newest first
    _polls: int = 0

    def __post_init__(self) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        self.requests.append(Request(method, path, body))
        parts = path.strip("/").split("/")
        if (method, parts) == ("GET", ["jobs"]):
            return 200, {"jobs": [{"id": self.job_id, "status": self._state()}]}
        if parts[:2] != ["jobs", self.job_id]:
            return 404, {"errors": [f"Job {parts[1] if len(parts) > 1 else ''} not found"]}
        match method, parts[2:]:
            case "POST", ["stop"]:
                return 202, {"request-id": TRIGGER_ID}
            case "GET", ["savepoints", trigger] if trigger == TRIGGER_ID:
                self._polls += 1
                if self._polls <= self.polls_before_done:
                    return 200, {"status": {"id": "IN_PROGRESS"}, "operation": None}
                return 200, {"status": {"id": "COMPLETED"}, "operation": self.savepoint}
            case "GET", []:
                return 200, {"jid": self.job_id, "state": self._state()}
            case "GET", ["exceptions"]:
                return 200, {"exceptionHistory": {"entries": self.exception_entries}}
        return 404, {"errors": ["Not found: " + path]}

    def _state(self) -> str:
        return "FINISHED" if self._polls > self.polls_before_done else "RUNNING"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _respond(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = fake.answer(method, self.path, json.loads(raw) if raw else None)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._respond("GET")

            def do_POST(self) -> None:
                self._respond("POST")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
