"""Load on one model server as Flink's ML_PREDICT puts it there, and the CPU the server spends.

Each connection is one scoring subtask: a keep-alive HTTP/1.1 connection with one request in
flight (a server that closes after each answer gets a new connection, as `requests` would open
one). The client is `http.client`, so that little of the shared machine goes to the client. The
server's CPU is the user + system time of its process and every process it started (workers),
read with psutil at the start and at the end of the window.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import psutil

from benchmarks.stack_probes import tree_cpu_seconds


@dataclass(frozen=True)
class Answer:
    """What a client compares between two servers: status, content type and the body's bytes."""

    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class LoadResult:
    """Requests answered 200 in the window, the window's length and the server's CPU in it."""

    requests: int
    failed: int
    seconds: float
    cpu_seconds: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / self.requests

    @property
    def per_cpu_second(self) -> float:
        """Requests per CPU second of the server: the figure the comparison's goal is in."""
        return self.requests / self.cpu_seconds


class Client:
    """One connection to `url`'s `/score` with a Bearer key; reconnects when the server closes."""

    def __init__(self, url: str, key: str) -> None:
        parts = urlsplit(url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def post(self, body: bytes) -> Answer:
        self._connection.request("POST", "/score", body=body, headers=self._headers)
        response = self._connection.getresponse()
        content = response.read()
        return Answer(response.status, response.getheader("Content-Type", ""), content)

    def close(self) -> None:
        self._connection.close()


def answers(url: str, key: str, bodies: Sequence[bytes]) -> list[Answer]:
    """Each body sent once, in order, on one connection."""
    client = Client(url, key)
    try:
        return [client.post(body) for body in bodies]
    finally:
        client.close()


def _send_until(
    client: Client, bodies: Sequence[bytes], offset: int, stop: threading.Event, counts: list[int]
) -> None:
    """Post bodies round-robin until `stop`; counts[0] answered 200, counts[1] anything else."""
    number = offset
    while not stop.is_set():
        try:
            answer = client.post(bodies[number % len(bodies)])
        except (OSError, http.client.HTTPException):
            client.close()  # the next request opens a new connection
            counts[1] += 1
        else:
            counts[0 if answer.status == 200 else 1] += 1
        number += 1
    client.close()


def drive(
    url: str, key: str, pid: int, bodies: Sequence[bytes], connections: int, seconds: float
) -> LoadResult:
    """`connections` clients posting `bodies` for `seconds`; the server tree under `pid` timed.

    The window is from the start signal to the last answer, so requests in flight when the time
    is up are counted along with the CPU they took.
    """
    stop = threading.Event()
    counts = [[0, 0] for _ in range(connections)]
    threads = [
        threading.Thread(
            target=_send_until,
            args=(Client(url, key), bodies, number, stop, counts[number]),
            name=f"endpoint-load-{number}",
        )
        for number in range(connections)
    ]
    cpu_before = tree_cpu_seconds(psutil.Process(pid))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    cpu = tree_cpu_seconds(psutil.Process(pid)) - cpu_before
    return LoadResult(
        requests=sum(c[0] for c in counts),
        failed=sum(c[1] for c in counts),
        seconds=elapsed,
        cpu_seconds=cpu,
    )
