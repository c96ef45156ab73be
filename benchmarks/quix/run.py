"""Running the Quix pipeline (benchmarks/quix/app.py) beside a benchmark stack, in its own
venv, and what it took: predictions per second first to last, CPU of the Quix process and
the stack's services while it scored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

from benchmarks.end_to_end.scoring import MODEL
from benchmarks.stack_probes import cpu_seconds, cpu_used, machine_seconds, tree_cpu_seconds
from benchmarks.topics import Topic, wait_for_records
from emulator.catalog import Catalog
from emulator.config import PROJECT_ROOT, Settings
from emulator.kafka.topics import create_topic

QUIX_PYTHON = PROJECT_ROOT / ".ccflink" / "venv-quix" / "bin" / "python"
QUIX_PROCESS = "Quix Streams pipeline (Python)"
OUTPUT_TOPIC = "quix_fraud_predictions"


@dataclass
class QuixRun:
    """CPU seconds by process between the first and the last new prediction seen, and the
    predictions counted at those two moments."""

    cpu: dict[str, float]
    machine: dict[str, float]
    first_count: int
    last_count: int


def write_config(settings: Settings, folder: Path, partitions: int) -> Path:
    """The Quix process's settings: the stack's addresses, the model's columns and key."""
    version = Catalog.for_state(settings.state_dir).models[MODEL].get(None)
    config = {
        "bootstrap_servers": settings.bootstrap_servers,
        "registry_url": settings.schema_registry_url,
        "model_url": settings.model_server_url,
        "model_key": settings.model_api_key(),
        "inputs": [(c.name, c.type) for c in version.inputs],
        "outputs": [(c.name, c.type) for c in version.outputs],
        "partitions": partitions,
        "output_topic": OUTPUT_TOPIC,
        "consumer_group": f"quix-bench-{uuid.uuid4().hex[:8]}",
        "state_dir": str(folder / "quix-state"),
    }
    path = folder / "quix-config.json"
    path.touch(mode=0o600)
    path.write_text(json.dumps(config))
    return path


class _Readings:
    """CPU of the Quix process (and its children) and of the stack, read at each new count."""

    def __init__(self, settings: Settings, process: psutil.Process) -> None:
        self._settings = settings
        self._process = process
        self.first: tuple[dict[str, float], dict[str, float], int] | None = None
        self.last: tuple[dict[str, float], dict[str, float], int] | None = None

    def mark(self, count: int) -> None:
        reading = (
            {**cpu_seconds(self._settings), QUIX_PROCESS: tree_cpu_seconds(self._process)},
            machine_seconds(),
            count,
        )
        if self.first is None:
            self.first = reading
        self.last = reading


def run_quix(settings: Settings, folder: Path, partitions: int, expected: int) -> QuixRun:
    """Start the Quix pipeline on the stack's topics (from their start), wait for its
    predictions (`expected` at most, or none new for 20 s), stop it; CPU between the first
    and the last new prediction seen."""
    if not QUIX_PYTHON.exists():
        raise FileNotFoundError(
            f"{QUIX_PYTHON} is missing: the Quix pipeline runs in its own venv; "
            "create it with `make quix-venv`"
        )
    config = write_config(settings, folder, partitions)
    # Stamped by the broker on arrival: when each prediction was written, whatever the
    # producer sets (Quix passes the input record's event time on).
    create_topic(
        settings.bootstrap_servers,
        OUTPUT_TOPIC,
        partitions,
        {"message.timestamp.type": "LogAppendTime"},
        settings.kafka_security,
    )
    log = (folder / "quix.log").open("w")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    command = [str(QUIX_PYTHON), "-m", "benchmarks.quix.app", str(config)]
    child = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    readings = _Readings(settings, psutil.Process(child.pid))
    try:
        topic = Topic(settings, OUTPUT_TOPIC)
        wait_for_records(topic, expected, startup_seconds=120, on_change=readings.mark)
        topic.close()
    finally:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        log.close()
    if readings.first is None or readings.last is None:
        raise RuntimeError(f"the Quix pipeline scored nothing; see {folder / 'quix.log'}")
    return QuixRun(
        cpu=cpu_used(readings.first[0], readings.last[0]),
        machine=cpu_used(readings.first[1], readings.last[1]),
        first_count=readings.first[2],
        last_count=readings.last[2],
    )
