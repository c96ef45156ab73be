"""Background service processes: started detached, with a pid file, a log file and a readiness wait.

Every service of the stack (broker, registry, JobManager, TaskManager, model server) goes
through here, so `up`, `down`, `status` and `logs` treat them alike and a failed start always
says which service failed, why, and where its log is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from common.errors import CcflinkError
from emulator.config import Settings


class ServiceError(CcflinkError):
    """A service did not start or is not healthy; the message names it and its log."""


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

    def pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self) -> bool:
        pid = self.pid()
        return pid is not None and _alive(pid)

    def start(self, command: list[str], env: dict[str, str] | None = None) -> None:
        """Start detached (own session) so the service outlives the command that started it."""
        if self.is_running():
            return
        self.settings.logs_dir.mkdir(parents=True, exist_ok=True)
        self.settings.pids_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(f"\n--- ccflink: starting {self.name}: {' '.join(command)}\n".encode())
            log.flush()
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                start_new_session=True,
                cwd=self.settings.state_dir,
            )
        self.pid_file.write_text(str(process.pid))

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
        """SIGTERM the service's process group, SIGKILL what is left; True if it was running."""
        pid = self.pid()
        was_running = pid is not None and _alive(pid)
        if was_running:
            _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        return was_running

    def memory_bytes(self) -> int:
        """Resident memory of the service and every process it started (e.g. Python workers)."""
        pid = self.pid()
        return _tree_rss(pid) if pid is not None and _alive(pid) else 0

    def log_tail(self, lines: int = 25) -> str:
        if not self.log_file.exists():
            return "(no log yet)"
        text = self.log_file.read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes; reap it when it is our own child.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().split(") ")[-1].startswith("Z"):
                _reap(pid)
                return False
    except FileNotFoundError:
        return False
    return True


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
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, sig)
