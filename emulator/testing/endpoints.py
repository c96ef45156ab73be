"""A test's own model servers: the user's scoring script and model folder, each on a free port.

Each is `python -m model_server` as the stack's endpoint is (`emulator.model_endpoint`), with
a key of its own, under a process name `endpoint-<connection>` in the stack's state folder: its
log is beside the services' and a later run on a kept stack finds and stops it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from common.errors import CcflinkError
from emulator.config import Settings
from emulator.model_endpoint import Endpoint, serve
from emulator.ports import free_port_numbers
from emulator.process import ManagedProcess

PROCESS_PREFIX = "endpoint-"


class EndpointError(CcflinkError):
    """A scoring script or model folder to serve that is not there."""


@dataclass(frozen=True)
class Served:
    """A running endpoint: what a connection records to reach it."""

    process_name: str
    url: str  # the scoring URL, `.../score`
    api_key: str


def process_name(connection: str) -> str:
    return PROCESS_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", connection)


def serve_script(settings: Settings, connection: str, score: Path, model_dir: Path) -> Served:
    """Serve `score` (an Azure ML scoring script) loading `model_dir` ($AZUREML_MODEL_DIR);
    returns once its `init()` is done. A server for the same connection is stopped first."""
    if not score.is_file():
        raise EndpointError(f"connection {connection!r}: scoring script {score} does not exist")
    if not model_dir.is_dir():
        raise EndpointError(f"connection {connection!r}: model folder {model_dir} does not exist")
    name = process_name(connection)
    ManagedProcess(name, settings).stop()
    [port] = free_port_numbers(1, settings.host)
    endpoint = Endpoint(name, score.resolve(), model_dir.resolve(), port)
    api_key = secrets.token_urlsafe(24)
    serve(settings, endpoint, api_key)
    return Served(name, f"{endpoint.url(settings)}/score", api_key)


def running(settings: Settings) -> list[str]:
    """The process names of the endpoints served in this state folder (pid files kept)."""
    return sorted(path.stem for path in settings.pids_dir.glob(f"{PROCESS_PREFIX}*.pid"))


def stop_all(settings: Settings) -> None:
    for name in running(settings):
        ManagedProcess(name, settings).stop()
