"""The Flink client JVM a session starts: C1 code and the serial collector (it plans a few
statements; the C2 compiler's CPU would be taken from the services), with JVM_ARGS taken out
of the environment again so that no JVM started after it (Flink's daemons read JVM_ARGS)
gets them; a user's own JVM_ARGS wins."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from emulator.sql.environment import CLIENT_JVM_OPTIONS

# A fresh process: PyFlink starts one JVM per process, on first use.
PROBE = """
import json, os, psutil
from emulator.sql.environment import _start_client_jvm
_start_client_jvm()
[jvm] = [p for p in psutil.Process().children() if p.name() == "java"]
print(json.dumps({"cmdline": jvm.cmdline(), "jvm_args": os.environ.get("JVM_ARGS")}))
"""


def probe(env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_client_jvm_runs_c1_code_and_leaves_no_jvm_args_behind() -> None:
    env = {key: value for key, value in os.environ.items() if key != "JVM_ARGS"}
    answer = probe(env)
    for option in CLIENT_JVM_OPTIONS.split():
        assert option in answer["cmdline"]
    assert answer["jvm_args"] is None


def test_a_users_jvm_args_win() -> None:
    answer = probe({**os.environ, "JVM_ARGS": "-Xmx700m"})
    assert "-Xmx700m" in answer["cmdline"]
    assert "-XX:TieredStopAtLevel=1" not in answer["cmdline"]
    assert answer["jvm_args"] == "-Xmx700m"
