"""Every `ccflink` command given bad input, or run with no stack: a message that says what was
wrong and a non-zero exit, never a Python traceback.

Each command runs as a user runs it, in its own process, against a state folder of its own and
ports where nothing listens.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest

from emulator.config import Ports
from emulator.ports import free_port_numbers
from producers.synthetic import generate


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    (folder / "ok.sql").write_text("SHOW TABLES;\n")
    (folder / "garbled.jsonl").write_text("{not json\n")
    generate(20, folder / "data", seed=1)
    return folder


@pytest.fixture(scope="module")
def environment(workdir: Path) -> dict[str, str]:
    """Nothing listens on these ports: the commands that need the stack find none."""
    names = [f.name for f in fields(Ports)]
    ports = dict(zip(names, free_port_numbers(len(names)), strict=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCFLINK_")}
    env.update({f"CCFLINK_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    env["CCFLINK_HOME"] = str(workdir / "state")
    return env


CASES = {
    "sql without files": (["sql"], 2, "nothing to run"),
    "sql of a missing file": (["sql", "-f", "missing.sql"], 2, "no such SQL file: missing.sql"),
    "sql with no stack": (["sql", "-f", "ok.sql"], 1, "the local stack is not running"),
    "shell with no stack": (["flink", "shell"], 1, "the local stack is not running"),
    "an unknown profile": (["--profile", "nowhere", "sql", "-f", "ok.sql"], 2, "nowhere"),
    "a profile for the local stack": (["--profile", "x", "status"], 2, "manages this machine"),
    "produce from a missing folder": (["produce", "--data", "nope"], 2, "no such folder"),
    "produce at a negative speed": (
        ["produce", "--data", "data", "--speedup", "-2"],
        1,
        "--speedup must be positive",
    ),
    "generate no rows": (["data", "generate", "--rows", "0", "--out", "g"], 1, "at least 1"),
    "describe a missing statement": (
        ["flink", "statement", "describe", "nope"],
        1,
        "statement 'nope' does not exist",
    ),
    "stop a missing statement": (["flink", "statement", "stop", "nope"], 1, "does not exist"),
    "resume a missing statement": (["flink", "statement", "resume", "nope"], 1, "does not exist"),
    "stopped neither true nor false": (
        ["flink", "statement", "update", "nope", "--stopped=maybe"],
        2,
        "give true or false, not 'maybe'",
    ),
    "exceptions of a missing statement": (
        ["flink", "statement", "exception", "list", "nope"],
        1,
        "does not exist",
    ),
    "describe a missing connection": (
        ["flink", "connection", "describe", "nope"],
        1,
        "connection 'nope' does not exist",
    ),
    "delete a missing connection": (["flink", "connection", "delete", "nope"], 1, "nope"),
    "delete a missing API key": (["api-key", "delete", "nope"], 1, "no API key 'nope'"),
    "logs of an unknown service": (["logs", "nope"], 2, "unknown service 'nope'"),
    "compare garbled exports": (
        ["compare", "--local", "garbled.jsonl", "--cloud", "garbled.jsonl"],
        2,
        "garbled.jsonl",
    ),
    "evaluate a garbled export": (["evaluate", "--input", "garbled.jsonl"], 2, "garbled.jsonl"),
    "top at no interval": (["top", "--interval", "0"], 2, "not a positive number"),
    "an unknown command": (["launch"], 2, "invalid choice"),
}


@pytest.mark.parametrize(("argv", "code", "says"), CASES.values(), ids=CASES.keys())
def test_bad_input_gets_a_message_and_no_traceback(
    workdir: Path, environment: dict[str, str], argv: list[str], code: int, says: str
) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "emulator.cli", *argv],
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = ran.stdout + ran.stderr
    assert "Traceback" not in output, output
    assert ran.returncode == code, output
    assert says in output, output
