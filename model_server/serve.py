"""The HTTP servers that can host the Flask app, and how each is set up from our options.

granian (Rust, HTTP/1.1 keep-alive, WSGI calls on a thread pool) is the default: per request it
costs the model server about half the CPU of gunicorn's threaded worker (BENCHMARKS.md, "Model
server vs azureml-inference-server-http"). gunicorn stays selectable (`--server gunicorn`), the
server azmlinfsrv runs, for a worker timeout that kills a hung `run()`. In both the app is built
in each worker process (no preload), so the script's `init()` runs once per worker, as in
azmlinfsrv; neither writes an access log line per request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from granian.constants import HTTPModes, Interfaces
from granian.server import Server as Granian
from gunicorn.app.base import BaseApplication

from model_server.server.app import create_app
from model_server.server.config import EndpointSettings


@dataclass(frozen=True)
class Hosted:
    """What each worker builds its app from: the script, its model folder, keys, endpoint mode."""

    entry_script: Path
    model_dir: Path
    api_keys: list[str]
    endpoint: EndpointSettings | None = None

    def app(self) -> Flask:
        return create_app(self.entry_script, self.model_dir, self.api_keys, endpoint=self.endpoint)


@dataclass(frozen=True)
class Listen:
    """Where and how wide to serve: address, worker processes, WSGI threads per worker."""

    host: str
    port: int
    workers: int
    threads: int
    timeout: int


class _Gunicorn(BaseApplication):
    """gunicorn driven from Python: its settings from ours only, never from the command line."""

    def __init__(self, hosted: Hosted, options: dict[str, object]) -> None:
        self._hosted = hosted
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._hosted.app()


def gunicorn_options(listen: Listen) -> dict[str, object]:
    """gthread workers: keep-alive connections, `threads` requests at once per worker."""
    return {
        "bind": f"{listen.host}:{listen.port}",
        "workers": listen.workers,
        "threads": listen.threads,
        "worker_class": "gthread",
        "timeout": listen.timeout,
        "preload_app": False,
        "accesslog": None,
    }


def granian_server(hosted: Hosted, listen: Listen) -> Granian:
    """granian's WSGI workers; a worker that dies is started again, as gunicorn's arbiter does.

    HTTP/1.1 only, like azmlinfsrv (no h2c upgrade to answer differently from it).
    """
    return Granian(
        "model_server",
        address=listen.host,
        port=listen.port,
        interface=Interfaces.WSGI,
        workers=listen.workers,
        blocking_threads=listen.threads,
        http=HTTPModes.http1,
        websockets=False,
        log_access=False,
        respawn_failed_workers=True,
    )


def run_granian(hosted: Hosted, listen: Listen) -> None:
    # Each worker calls the loader (pickled into it where processes are spawned, not forked).
    granian_server(hosted, listen).serve(target_loader=hosted.app, wrap_loader=False)


def run_gunicorn(hosted: Hosted, listen: Listen) -> None:
    _Gunicorn(hosted, gunicorn_options(listen)).run()


SERVERS: dict[str, Callable[[Hosted, Listen], None]] = {
    "granian": run_granian,
    "gunicorn": run_gunicorn,
}
DEFAULT_SERVER = "granian"
