"""Which HTTP server hosts the model server's app, and how it is set up from the command line.

granian is the default (half the CPU per request of gunicorn's threaded worker); gunicorn can
still be chosen. Both keep a connection open across requests, as ML_PREDICT's client expects,
and answer the same way.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
from pathlib import Path

import pytest
from granian.constants import HTTPModes

from emulator.ports import free_port_numbers
from model_server.__main__ import _parse, endpoint_settings, listen
from model_server.serve import (
    DEFAULT_SERVER,
    SERVERS,
    Hosted,
    Listen,
    granian_server,
    gunicorn_options,
)
from model_server.server.config import KEYS_ENV, MAX_REQUEST_BYTES
from tests.servers import Server

KEY = "serve-key"
CHUNK = 1 << 20  # bytes per chunk of a chunked request body
ECHO_SCRIPT = """
def init():
    pass

def run(raw_data):
    return [raw_data]
"""


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, KEY)


def test_granian_by_default_one_request_at_a_time_per_worker(keys: None) -> None:
    args = _parse(["--model-dir", "/tmp/m"])
    assert (args.server, DEFAULT_SERVER, args.threads) == ("granian", "granian", 1)
    assert _parse(["--model-dir", "/tmp/m", "--server", "gunicorn"]).server == "gunicorn"
    assert set(SERVERS) == {"granian", "gunicorn"}


@pytest.mark.parametrize(
    "flags", [["--server", "waitress"], ["--workers", "0"], ["--threads", "0"]]
)
def test_an_unknown_server_or_no_worker_is_refused(keys: None, flags: list[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parse(["--model-dir", "/tmp/m", *flags])
    assert exit_info.value.code == 2


def test_endpoint_mode_gives_each_pending_request_a_thread(keys: None) -> None:
    plain = _parse(["--model-dir", "/tmp/m", "--workers", "3"])
    assert listen(plain, endpoint_settings(plain)) == Listen("127.0.0.1", 5001, 3, 1, 60)
    limited = _parse(["--model-dir", "/tmp/m", "--endpoint-mode", "--max-concurrent-requests", "2"])
    # 2 x 2 may be pending; one thread more, so the fifth is answered 429 instead of queued
    assert listen(limited, endpoint_settings(limited)).threads == 5


def test_granian_serves_wsgi_over_http1_without_an_access_log(tmp_path: Path) -> None:
    hosted = Hosted(tmp_path / "score.py", tmp_path, [KEY])
    server = granian_server(hosted, Listen("127.0.0.1", 8123, 3, 2, 60))
    assert (server.bind_addr, server.bind_port) == ("127.0.0.1", 8123)
    assert (server.workers, server.blocking_threads) == (3, 2)
    assert server.interface == "wsgi" and server.http == HTTPModes.http1
    assert not server.log_access and server.respawn_failed_workers


def test_gunicorn_keeps_threads_per_worker_and_logs_no_request() -> None:
    options = gunicorn_options(Listen("0.0.0.0", 9000, 2, 4, 30))
    assert options["bind"] == "0.0.0.0:9000" and options["worker_class"] == "gthread"
    assert (options["workers"], options["threads"], options["timeout"]) == (2, 4, 30)
    assert options["accesslog"] is None and options["preload_app"] is False


def _post(connection: http.client.HTTPConnection, body: bytes, key: str = KEY) -> tuple:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    connection.request("POST", "/score", body=body, headers=headers)
    response = connection.getresponse()
    return response.status, response.read(), response.getheader("x-request-id")


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_each_server_answers_on_one_kept_connection(server: str, tmp_path: Path) -> None:
    script = tmp_path / "echo_score.py"
    script.write_text(ECHO_SCRIPT)
    [port] = free_port_numbers(1)
    command = [sys.executable, "-m", "model_server", "--entry-script", str(script)]
    process = Server(
        f"model server ({server})",
        [*command, "--model-dir", str(tmp_path), "--port", str(port), "--server", server],
        port,
        {**os.environ, KEYS_ENV: KEY},
    )
    try:
        process.wait()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        status, body, request_id = _post(connection, b'"one"')
        first_socket = connection.sock
        assert (status, body) == (200, b'["\\"one\\""]') and request_id
        assert _post(connection, b'"two"')[:2] == (200, b'["\\"two\\""]')
        assert connection.sock is first_socket  # the same connection for both
        # a refused request's body is never read: the server may then close the connection,
        # so each refusal below gets a connection of its own
        assert _post(connection, b"{}", key="wrong")[0] == 401
        connection.close()
        # refused from Content-Length alone, before a byte of the body is read
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.putrequest("POST", "/score")
        connection.putheader("Authorization", f"Bearer {KEY}")
        connection.putheader("Content-Length", str(MAX_REQUEST_BYTES + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413 and b"16 MiB" in response.read()
        connection.close()
        # a chunked body (no Content-Length) past the limit: 413, not cut off and scored
        for size, status in ((MAX_REQUEST_BYTES, 200), (MAX_REQUEST_BYTES + 1, 413)):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            body = b'"' + b"x" * (size - 2) + b'"'
            pieces = (body[start : start + CHUNK] for start in range(0, size, CHUNK))
            headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
            connection.request("POST", "/score", body=pieces, headers=headers, encode_chunked=True)
            response = connection.getresponse()
            answer = response.read()
            assert response.status == status, answer[:200]
            assert status == 413 or answer == json.dumps([body.decode()]).encode()
            connection.close()
    finally:
        process.close()
