"""Ports: free ones for a second stack (tests, benchmarks), and the check that a service's
ports are free before it starts.

Ports are picked below the system's ephemeral range: a port the kernel could hand to an
outgoing connection (librdkafka's, a JVM's) in the moment between choosing it and the service
binding it would fail that service's start with "Address already in use".

A port another program holds is refused before the start: readiness probes would otherwise
talk to that program and take it for the service.
"""

from __future__ import annotations

import random
import socket
import textwrap
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, fields
from pathlib import Path

import psutil

from common.errors import CcflinkError
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


class PortInUseError(CcflinkError):
    """A port a service is to listen on is held by another program."""


@dataclass(frozen=True)
class Wanted:
    """A port a service is about to listen on, and the environment variable that moves it."""

    service: str
    port: int
    variable: str


def in_use(host: str, port: int) -> bool:
    """Whether binding `port` as a server does (SO_REUSEADDR: a closing connection's TIME_WAIT
    is no obstacle) fails, because a program listens on it or holds it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def holder(port: int) -> str:
    """Who holds `port`, as far as this user may see: pid, name and command line."""
    try:
        sockets = psutil.net_connections(kind="inet")
    except psutil.Error:
        return "a program this user may not inspect"
    pids = sorted(
        {s.pid for s in sockets if s.laddr and s.laddr.port == port and not s.raddr and s.pid}
    )
    if not pids:
        return "a program this user may not inspect (another user's?)"
    return ", ".join(_describe(pid) for pid in pids)


def _describe(pid: int) -> str:
    try:
        process = psutil.Process(pid)
        command = textwrap.shorten(" ".join(process.cmdline()), width=120, placeholder=" ...")
        return f"pid {pid} ({process.name()}: {command})"
    except psutil.Error:
        return f"pid {pid}"


def require_free(host: str, wanted: Iterable[Wanted]) -> None:
    """Refuse, naming every port taken, its holder and the variable that moves it."""
    taken = [w for w in wanted if in_use(host, w.port)]
    if taken:
        raise PortInUseError(
            "\n".join(
                f"port {w.port} on {host}, which {w.service} listens on, is taken by "
                f"{holder(w.port)}: stop that program, or give {w.service} another port "
                f"with {w.variable}=<port>"
                for w in taken
            )
        )
