"""Background service processes: started detached, with a pid file, a log file and a readiness wait.

Every service of the stack (broker, registry, JobManager, TaskManager, model server) goes
through here, so `up`, `down`, `status` and `logs` treat them alike and a failed start always
says which service failed, why, and where its log is.

A pid alone does not say the process is ours: the kernel hands a dead service's pid to the
next program. So the pid file records the process's identity (its start time, a token in its
environment, and the command launched), and a pid whose identity does not match is a dead
service, never signalled. What a dead service left running in its session (the TaskManager's
Python workers after a SIGKILL) carries the same token, and is ended when the service is
started again or stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from common.errors import CcflinkError
from emulator.config import Settings

# Set, new at every start, in a service's environment: it survives the exec of Flink's scripts
# into Java (a command line does not) and is inherited by every process the service starts.
TOKEN_ENV = "CCFLINK_SERVICE_TOKEN"
# psutil derives start times from the boot time, which Linux may report a second apart.
_START_TIME_SLACK_S = 1.0
# Reads of an environment shown empty while its process execs (10 ms apart).
_EXEC_READS = 50
# How long what a dead service left gets to exit on SIGTERM before SIGKILL.
_LEFTOVER_GRACE_S = 5.0


class ServiceError(CcflinkError):
    """A service did not start or is not healthy; the message names it and its log."""


@dataclass(frozen=True)
class PidRecord:
    """What a pid file says of the process a start launched.

    A pid file of an older ccflink holds the pid alone (`create_time` and `token` None).
    """

    pid: int
    create_time: float | None = None
    token: str | None = None
    command: tuple[str, ...] = ()  # as launched, for whoever reads the file

    @classmethod
    def parse(cls, text: str) -> PidRecord | None:
        """The record in a pid file's text; None for text that is neither format."""
        text = text.strip()
        if text.isdigit():
            return cls(int(text))
        try:
            data = json.loads(text)
            return cls(
                int(data["pid"]),
                float(data["create_time"]),
                str(data["token"]),
                tuple(data["cmdline"]),
            )
        except (ValueError, TypeError, KeyError):
            return None

    def text(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "create_time": self.create_time,
                "cmdline": list(self.command),
                "token": self.token,
            }
        )


@dataclass(frozen=True)
class ManagedProcess:
    name: str
    settings: Settings

    @property
    def pid_file(self) -> Path:
        return self.settings.pids_dir / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return self.settings.logs_dir / f"{self.name}.log"

    def record(self) -> PidRecord | None:
        try:
            return PidRecord.parse(self.pid_file.read_text())
        except FileNotFoundError:
            return None

    def pid(self) -> int | None:
        """The pid the pid file names, whether or not that process is still ours."""
        record = self.record()
        return record.pid if record is not None else None

    def is_running(self) -> bool:
        record = self.record()
        return record is not None and _is_ours(record, self.settings.state_dir)

    def start(self, command: list[str], env: dict[str, str] | None = None) -> None:
        """Start detached (own session) so the service outlives the command that started it;
        first end what a dead predecessor left running."""
        record = self.record()
        if record is not None:
            if _is_ours(record, self.settings.state_dir):
                return
            _end(_leftovers(record))
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        self.settings.pids_dir.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(16)
        with self.log_file.open("ab") as log:
            log.write(f"\n--- ccflink: starting {self.name}: {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {}), TOKEN_ENV: token},
                start_new_session=True,
                cwd=self.settings.state_dir,
            )
        started = PidRecord(process.pid, _create_time(process.pid), token, tuple(command))
        written = self.pid_file.with_suffix(".tmp")  # a reader never sees half a record
        written.write_text(started.text())
        written.replace(self.pid_file)

    def wait_ready(self, check: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `check` until it holds; fail fast, with the log's tail, if the process dies."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.is_running():
                raise ServiceError(
                    f"{self.name} exited while starting ({what}). "
                    f"Log: {self.log_file}\n{self.log_tail()}"
                )
            try:
                if check():
                    return
            except Exception:  # a service that is still starting refuses connections
                pass
            time.sleep(0.3)
        raise ServiceError(
            f"{self.name} was not ready after {timeout:.0f} s ({what}). "
            f"Log: {self.log_file}\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 20.0) -> bool:
        """SIGTERM the service's process group, SIGKILL what is left, then end what a dead
        service left in its session; True if the service itself was running."""
        record = self.record()
        state = self.settings.state_dir
        was_running = record is not None and _is_ours(record, state)
        if record is not None and was_running:
            _signal_group(record.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _is_ours(record, state) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _is_ours(record, state):
                _signal_group(record.pid, signal.SIGKILL)
        if record is not None:
            _end(_leftovers(record))
        self.pid_file.unlink(missing_ok=True)
        return was_running

    def memory_bytes(self) -> int:
        """Resident memory of the service and every process it started (e.g. Python workers)."""
        record = self.record()
        if record is None or not _is_ours(record, self.settings.state_dir):
            return 0
        return _tree_rss(record.pid)

    def log_tail(self, lines: int = 25) -> str:
        if not self.log_file.exists():
            return "(no log yet)"
        text = self.log_file.read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])


def _create_time(pid: int) -> float:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:  # gone already: no live process matches 0, `wait_ready` says it exited
        return 0.0


def _is_ours(record: PidRecord, state_dir: Path) -> bool:
    """Whether the recorded pid is still the live process that start launched.

    Another user's process (AccessDenied) is never ours. An old pid file has no identity: its
    process counts as ours only as an old start left it, a session leader in the state folder.
    """
    try:
        process = psutil.Process(record.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            _reap(record.pid)
            return False
        if record.create_time is None:
            leads_a_session = os.getsid(record.pid) == record.pid
            return leads_a_session and Path(process.cwd()) == state_dir.resolve()
        return (
            abs(process.create_time() - record.create_time) <= _START_TIME_SLACK_S
            and _token(process) == record.token
        )
    except (psutil.Error, OSError):
        return False


def _token(process: psutil.Process) -> str | None:
    """The token in a process's environment.

    While a process execs (Popen returns then, and Flink's scripts exec Java), the kernel shows
    an empty environment until the new program is set up: read again. Every process of ours
    has at least the token, so only a foreign process with no environment waits the whole loop.
    """
    for _ in range(_EXEC_READS):
        environment = process.environ()
        if environment:
            return environment.get(TOKEN_ENV)
        time.sleep(0.01)
    return None


def _leftovers(record: PidRecord) -> list[psutil.Process]:
    """Live processes of the recorded service's session that carry its token: its children
    (and theirs) outliving it. An old pid file's leftovers cannot be told from others'."""
    if record.token is None:
        return []
    found = []
    for process in psutil.process_iter():
        try:
            if (
                os.getsid(process.pid) == record.pid
                and process.status() != psutil.STATUS_ZOMBIE
                and _token(process) == record.token
            ):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def _end(processes: list[psutil.Process]) -> None:
    """SIGTERM, then SIGKILL what still runs after the grace period (a zombie has ended)."""
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.terminate()
    deadline = time.monotonic() + _LEFTOVER_GRACE_S
    while (remaining := [p for p in processes if _still_running(p)]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    for process in remaining:
        with contextlib.suppress(psutil.Error):
            process.kill()


def _still_running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found: list[int] = []
        for task in tasks:
            found += [int(c) for c in (task / "children").read_text().split()]
        return found
    except OSError:
        return []


def _tree_rss(pid: int) -> int:
    page = os.sysconf("SC_PAGE_SIZE")
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
        pending += _children(current)
    return total


def _reap(pid: int) -> None:
    """A zombie that is our own child (a service this process started) is reaped."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the group of a service known to be ours: it leads its own (start_new_session)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
