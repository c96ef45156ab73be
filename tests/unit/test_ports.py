"""A second stack's ports are free, distinct, and never in the range the kernel hands to
outgoing connections (a client could take one before its service binds it); a port another
program holds is refused with the port, its holder and the variable that moves it."""

from __future__ import annotations

import os
import socket
from dataclasses import astuple

import psutil
import pytest

from emulator.ports import (
    PortInUseError,
    Wanted,
    _ephemeral_start,
    free_port_numbers,
    free_ports,
    require_free,
)


def test_a_stacks_ports_are_distinct_bindable_and_below_the_ephemeral_range() -> None:
    ports = astuple(free_ports())
    assert len(set(ports)) == len(ports)
    assert all(port < _ephemeral_start() for port in ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_is_never_chosen() -> None:
    [taken] = free_port_numbers(1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", taken))
        busy.listen()
        assert taken not in free_port_numbers(2000)


def test_a_port_another_program_holds_is_refused_naming_its_holder_and_variable() -> None:
    [taken, free] = free_port_numbers(2)
    wanted = [
        Wanted("kafka", free, "CCFLINK_KAFKA_PORT"),
        Wanted("schema-registry", taken, "CCFLINK_SCHEMA_REGISTRY_PORT"),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", taken))
        busy.listen()
        with pytest.raises(PortInUseError) as refused:
            require_free("127.0.0.1", wanted)
    message = str(refused.value)
    assert f"port {taken} on 127.0.0.1, which schema-registry listens on" in message
    assert f"pid {os.getpid()} ({psutil.Process().name()}: " in message
    assert "CCFLINK_SCHEMA_REGISTRY_PORT=<port>" in message
    assert str(free) not in message and "CCFLINK_KAFKA_PORT" not in message


def test_free_ports_pass_the_check() -> None:
    require_free("127.0.0.1", [Wanted("kafka", port, "V") for port in free_port_numbers(3)])
