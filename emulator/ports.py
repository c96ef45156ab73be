"""Free ports for a second stack (tests), so it never collides with a developer's stack."""

from __future__ import annotations

import socket
from contextlib import ExitStack
from dataclasses import fields

from emulator.config import Ports


def free_ports(host: str = "127.0.0.1") -> Ports:
    """One free port per service; all sockets stay open until every port is chosen."""
    with ExitStack() as stack:
        chosen = {}
        for field in fields(Ports):
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            chosen[field.name] = sock.getsockname()[1]
    return Ports(**chosen)


def free_port(host: str = "127.0.0.1") -> int:
    """One free port (a test server's)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
