"""A pid file names a process of ours only while that very process runs: a reused pid, another
user's process or an unrelated one is a dead service, never signalled; and what a dead
service left running in its session is ended when it is started again or stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from emulator.config import Settings
from emulator.process import ManagedProcess

# A parent that starts a child in its own process group and session, as the TaskManager
# starts its Python workers, and waits for it.
PARENT_WITH_CHILD = ["sh", "-c", "sleep 300 & wait"]
NOBODY = 65534


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path)


@pytest.fixture
def unrelated() -> Iterator[subprocess.Popen]:
    """A live process that is not ccflink's (not started by ManagedProcess)."""
    sleeper = subprocess.Popen(["sleep", "300"])
    yield sleeper
    sleeper.kill()
    sleeper.wait()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def child_of(pid: int) -> int:
    """The first child `pid` starts (waiting for it to appear)."""
    for _ in range(100):
        children = psutil.Process(pid).children()
        if children:
            return children[0].pid
        time.sleep(0.05)
    raise AssertionError(f"pid {pid} started no child")


def kill_and_reap(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # the test process started it: its zombie is ours to reap


def test_a_pid_file_of_the_old_format_naming_an_unrelated_process_is_not_ours(
    settings: Settings, unrelated: subprocess.Popen
) -> None:
    settings.pids_dir.mkdir(parents=True)
    process = ManagedProcess("flink-taskmanager", settings)
    process.pid_file.write_text(str(unrelated.pid))
    assert not process.is_running()
    assert process.memory_bytes() == 0
    assert process.stop() is False
    assert unrelated.poll() is None  # never signalled
    assert not process.pid_file.exists()


def test_a_pid_file_of_the_old_format_still_stops_a_service_the_old_code_started(
    settings: Settings,
) -> None:
    """Before identities were recorded, services were session leaders in the state folder."""
    settings.pids_dir.mkdir(parents=True)
    old = subprocess.Popen(["sleep", "300"], start_new_session=True, cwd=settings.state_dir)
    process = ManagedProcess("flink-taskmanager", settings)
    process.pid_file.write_text(f"{old.pid}\n")
    assert process.pid() == old.pid and process.is_running()
    assert process.stop() is True
    assert gone(old.pid)


def service_whose_pid_went_to(settings: Settings, unrelated: subprocess.Popen) -> ManagedProcess:
    """A service started and killed, its pid then handed by the kernel to another program:
    the pid file now names that program."""
    process = ManagedProcess("model-server", settings)
    process.start(["sleep", "300"])
    started = process.pid()
    assert started is not None and process.is_running()
    record = process.pid_file.read_text()
    kill_and_reap(started)
    process.pid_file.write_text(record.replace(str(started), str(unrelated.pid)))
    return process


def test_a_reused_pid_is_a_dead_service_that_up_starts_and_down_does_not_signal(
    settings: Settings, unrelated: subprocess.Popen
) -> None:
    process = service_whose_pid_went_to(settings, unrelated)
    assert process.pid() == unrelated.pid
    assert not process.is_running()
    assert process.stop() is False
    assert unrelated.poll() is None


def test_a_reused_pid_does_not_make_start_skip_the_service(
    settings: Settings, unrelated: subprocess.Popen
) -> None:
    process = service_whose_pid_went_to(settings, unrelated)
    process.start(["sleep", "300"])
    assert process.pid() not in (None, unrelated.pid) and process.is_running()
    assert process.stop() is True
    assert unrelated.poll() is None


def test_the_pid_file_records_start_time_and_command_line(settings: Settings) -> None:
    process = ManagedProcess("model-server", settings)
    process.start(["sleep", "300"])
    try:
        record = json.loads(process.pid_file.read_text())
        pid = process.pid()
        assert pid is not None and record["pid"] == pid
        assert record["create_time"] == pytest.approx(psutil.Process(pid).create_time(), abs=1.0)
        assert record["cmdline"] == ["sleep", "300"]
    finally:
        process.stop()


def check_broker(state: Path) -> list[object]:
    """What `status` and `down` see of the broker's pid file in `state`."""
    process = ManagedProcess("broker", Settings(state_dir=state, jars_dir=state))
    return [process.is_running(), process.memory_bytes(), process.stop()]


def check_as_nobody(state: Path) -> list[object]:
    """`check_broker` in a child that has dropped root for `nobody`, reported through a pipe."""
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child reports through the pipe and exits
        os.close(reading)
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome: object = check_broker(state)
        except BaseException as error:  # the parent asserts on it
            outcome = f"{type(error).__name__}: {error}"
        os.write(writing, json.dumps(outcome).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading) as pipe:
        outcome = json.loads(pipe.read())
    os.waitpid(child, 0)
    return outcome


def test_another_users_pid_is_not_ours_and_raises_nothing(
    unrelated: subprocess.Popen,
) -> None:
    """As root: `nobody` checks a pid file naming root's process; otherwise this user checks
    one naming pid 1 (root's)."""
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder)
        (state / "pids").mkdir()
        for path in (state, state / "pids"):
            path.chmod(0o777)
        if os.geteuid() == 0:
            (state / "pids" / "broker.pid").write_text(str(unrelated.pid))
            assert check_as_nobody(state) == [False, 0, False]
            assert unrelated.poll() is None
        else:
            (state / "pids" / "broker.pid").write_text("1")
            assert check_broker(state) == [False, 0, False]


def test_stop_ends_what_a_service_killed_with_sigkill_left_in_its_session(
    settings: Settings,
) -> None:
    process = ManagedProcess("flink-taskmanager", settings)
    process.start(PARENT_WITH_CHILD)
    parent = process.pid()
    assert parent is not None
    orphan = child_of(parent)
    kill_and_reap(parent)
    assert not gone(orphan)
    assert process.stop() is False  # the service itself was dead
    assert gone(orphan)


def test_a_restart_ends_what_the_dead_service_left_in_its_session(settings: Settings) -> None:
    process = ManagedProcess("flink-taskmanager", settings)
    process.start(PARENT_WITH_CHILD)
    parent = process.pid()
    assert parent is not None
    orphan = child_of(parent)
    kill_and_reap(parent)
    process.start(PARENT_WITH_CHILD)
    try:
        assert gone(orphan)
        restarted = process.pid()
        assert restarted not in (None, parent) and process.is_running()
        assert not gone(child_of(restarted))  # the new service's own child is left alone
    finally:
        process.stop()
