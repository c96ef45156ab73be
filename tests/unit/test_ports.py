"""A second stack's ports are free, distinct, and never in the range the kernel hands to
outgoing connections (a client could take one before its service binds it)."""

from __future__ import annotations

import socket
from dataclasses import astuple

from emulator.ports import _ephemeral_start, free_port_numbers, free_ports


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
