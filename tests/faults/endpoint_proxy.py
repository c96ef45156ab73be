"""A fault-injecting proxy in front of the model server (as toxiproxy stands in front of a
service): it forwards each scoring request, or answers with the status it is told to."""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

FORWARDED_HEADERS = ("Authorization", "Content-Type", "azureml-model-deployment")


class EndpointProxy:
    def __init__(self, target: str) -> None:
        self.target = target
        self.failing_with: int | None = None  # None: forward
        self._session = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/score"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = proxy.failing_with
                if status is None:
                    headers = {h: self.headers[h] for h in FORWARDED_HEADERS if self.headers[h]}
                    answer = proxy._session.post(proxy.target, data=body, headers=headers)
                    status, content = answer.status_code, answer.content
                else:
                    content = HTTPStatus(status).phrase.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: object) -> None:
                pass

        return Handler
