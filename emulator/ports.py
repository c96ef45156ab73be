"""Free ports for a second stack (tests, benchmarks), so it never collides with a developer's.

Ports are picked below the system's ephemeral range: a port the kernel could hand to an
outgoing connection (librdkafka's, a JVM's) in the moment between choosing it and the service
binding it would fail that service's start with "Address already in use".
"""

from __future__ import annotations

import random
import socket
from contextlib import ExitStack
from dataclasses import fields
from pathlib import Path

from emulator.config import Ports

_EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LINUX_EPHEMERAL_START = 32768
_LOWEST = 10_000  # above the ports services usually take


def _ephemeral_start() -> int:
    try:
        return int(_EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _LINUX_EPHEMERAL_START


def free_port_numbers(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports nothing listens on, outside the ephemeral range."""
    start = _ephemeral_start()
    candidates = random.sample(range(min(_LOWEST, start // 2), start), k=start // 4)
    chosen: list[int] = []
    with ExitStack() as held:  # every socket stays bound until all ports are chosen
        for port in candidates:
            sock = held.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            try:
                sock.bind((host, port))
            except OSError:
                continue
            chosen.append(port)
            if len(chosen) == count:
                return chosen
    raise OSError(f"no {count} free ports below {start} on {host}")


def free_ports(host: str = "127.0.0.1") -> Ports:
    """One free port per service of a stack."""
    names = [field.name for field in fields(Ports)]
    return Ports(**dict(zip(names, free_port_numbers(len(names), host), strict=True)))
