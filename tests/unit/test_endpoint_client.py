"""The endpoint client's transport: a connection dropped under it is not the endpoint's answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from pyflink_jobs.ml_formats import PredictionError
from pyflink_jobs.ml_predict import Endpoint, EndpointClient, PredictSettings


class _Metric:
    def inc(self, n: int = 1) -> None:
        pass

    def update(self, value: int) -> None:
        pass


class _Group:
    def add_group(self, *names: str) -> _Group:
        return self

    def counter(self, name: str) -> _Metric:
        return _Metric()

    def distribution(self, name: str) -> _Metric:
        return _Metric()


class FunctionContext:
    """What PyFlink hands `open()`: only the metric group is used."""

    def get_metric_group(self) -> _Group:
        return _Group()


ANSWER = b"[1, 0.9]"


@pytest.fixture
def drops_first_connection() -> Iterator[tuple[str, list[int]]]:
    """A server that closes its first connection without answering, then answers each request."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            with connection:
                connection.recv(65536)
                if len(accepted) == 1:
                    continue  # closed without a byte: what a stale keep-alive looks like
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(ANSWER), ANSWER)
                )

    threading.Thread(target=serve, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/score", accepted
    listener.close()


def _client(url: str) -> EndpointClient:
    client = EndpointClient("m", Endpoint(url=url, api_key="k"), PredictSettings(retry_count=0))
    client.open(FunctionContext(), {"Content-Type": "application/json"})
    return client


def test_a_dropped_connection_is_retried_once_on_a_new_one(
    drops_first_connection: tuple[str, list[int]],
) -> None:
    url, accepted = drops_first_connection
    assert _client(url).post(b"{}") == ANSWER
    assert len(accepted) == 2


def test_an_endpoint_that_is_down_is_reported_unreachable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with pytest.raises(PredictionError, match=r"endpoint http://127.0.0.1:\d+/score unreachable"):
        _client(f"http://127.0.0.1:{port}/score").post(b"{}")


def test_proxy_settings_are_read_from_the_environment_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/bundle.pem")
    proxied = _client("https://endpoint.example/score")._session
    bypassed = _client("https://bypassed.example/score")._session
    assert proxied is not None and bypassed is not None
    assert proxied.proxies["https"] == "http://proxy.example:3128"
    assert proxied.verify == "/etc/ssl/bundle.pem"
    assert "https" not in bypassed.proxies
    # Not looked up again per request: later changes to the environment do not apply.
    assert not proxied.trust_env
