"""SET options a statement's session takes, and the ones it refuses before Flink sees them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from emulator.dialect.statements import SetOption
from emulator.dialect.text import DialectError
from emulator.sql.executors.session_options import set_option


class RecordingFlink:
    def __init__(self) -> None:
        self.options: dict[str, str] = {}

    def set(self, key: str, value: str) -> None:
        self.options[key] = value


def context() -> SimpleNamespace:
    return SimpleNamespace(flink=RecordingFlink(), options={}, next_name=None)


def test_thread_mode_is_refused_before_flink_sees_it() -> None:
    session = context()
    with pytest.raises(DialectError, match=r"'python\.execution-mode' = 'thread' is not supported"):
        set_option(session, SetOption("python.execution-mode", "thread"), "s")
    assert session.flink.options == {} and session.options == {}


def test_process_mode_and_other_flink_keys_pass_through() -> None:
    session = context()
    set_option(session, SetOption("python.execution-mode", "process"), "s")
    set_option(session, SetOption("sql.state-ttl", "1 h"), "s")
    assert session.flink.options == {
        "python.execution-mode": "process",
        "table.exec.state.ttl": "1 h",
    }
    assert session.options == {"python.execution-mode": "process", "sql.state-ttl": "1 h"}
