"""A server process for tests: started, waited for (`GET /` says Healthy), stopped.

It is the stack's own `ManagedProcess` in a temporary state folder, so a test's server runs
as `up` runs the model server: in its own session, output to a log file (a server that logs
every request would block on a full pipe), a readiness wait that fails at once with the log's
tail when the server dies, and TERM then KILL for the server and every worker it started.

One difference is kept: a test gives the server's whole environment, where the stack adds to
its own. The contract tests leave out AZUREML_* so that what an in-process test left in this
process's environment cannot reach Microsoft's server.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from emulator.config import Ports, Settings
from emulator.model_endpoint import is_ready
from emulator.process import ManagedProcess


class Server:
    """One server listening on `port`, started at once; `wait()` for it, `close()` after."""

    def __init__(self, name: str, command: list[str], port: int, env: dict[str, str]) -> None:
        self.name = name
        self._folder = tempfile.TemporaryDirectory(prefix="ccflink-test-server-")
        folder = Path(self._folder.name)
        # Only the state folder and the port matter here; no jar is ever read.
        self._settings = Settings(folder, jars_dir=folder, ports=Ports(model_server=port))
        self.url = self._settings.model_server_url
        self._process = ManagedProcess(name, self._settings)
        with pytest.MonkeyPatch.context() as patch:
            for variable in os.environ.keys() - env.keys():
                patch.delenv(variable)
            self._process.start(command, env)

    def wait(self, seconds: float = 60) -> None:
        """Until `GET /` answers Healthy; a ServiceError with the log's tail if it never does."""
        self._process.wait_ready(
            lambda: is_ready(self._settings), seconds, "GET / answering Healthy"
        )

    def stop(self) -> None:
        self._process.stop()

    def output(self) -> str:
        """Everything the server wrote so far (stdout, stderr), after the line that started it."""
        return self._process.log_file.read_text(errors="replace")

    def close(self) -> None:
        self.stop()
        self._folder.cleanup()
