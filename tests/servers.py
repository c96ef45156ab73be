"""A server process for tests: started, waited for (`GET /` says Healthy), stopped.

Output goes to a file, not a pipe: a server that logs every request would block on a full pipe.
"""

from __future__ import annotations

import subprocess
import tempfile
import time

import requests

from emulator.config import PROJECT_ROOT


class Server:
    def __init__(self, name: str, command: list[str], port: int, env: dict[str, str]) -> None:
        self.name = name
        self.url = f"http://127.0.0.1:{port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )

    def wait(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                if requests.get(f"{self.url}/", timeout=5).text == "Healthy":
                    return
            except requests.RequestException:  # refused while starting, or slow on a busy box
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer GET / in {seconds} s")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        """Everything the server wrote to stderr so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def close(self) -> None:
        self.stop()
        self.log.close()
