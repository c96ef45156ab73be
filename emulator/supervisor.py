"""The stack's supervisor: a small background process that starts a TaskManager again when it
dies, as Confluent replaces a failed machine. Flink's restart strategy then runs the jobs
again on the new TaskManager's slots from their last checkpoint.

It only replaces a TaskManager whose pid file is still there (`down` removes it before it
stops one) while the JobManager runs; a JobManager lost is `up`'s to bring back, with the
statements it ran (emulator/sql/recovery.py).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from emulator import config
from emulator.config import Settings
from emulator.flink import cluster
from emulator.process import ManagedProcess

NAME = "supervisor"
CHECK_EVERY_S = 1.0


def start(settings: Settings) -> ManagedProcess:
    """Start the supervisor for this state folder (unless it runs)."""
    process = ManagedProcess(NAME, settings)
    state = str(settings.state_dir.resolve())
    process.start([settings.python, "-m", "emulator.supervisor", state])
    return process


def taskmanager_lost(settings: Settings) -> bool:
    """Whether the TaskManager died on its own: its pid file is there, its process is not."""
    taskmanager = ManagedProcess(cluster.TASKMANAGER, settings)
    jobmanager = ManagedProcess(cluster.JOBMANAGER, settings)
    return (
        taskmanager.pid() is not None and not taskmanager.is_running() and (jobmanager.is_running())
    )


def supervise(settings: Settings) -> None:
    """Check every CHECK_EVERY_S seconds; log each replacement to stdout (the service log)."""
    while True:
        if taskmanager_lost(settings):
            print(f"{datetime.now(UTC):%H:%M:%S} TaskManager gone; starting it again", flush=True)
            cluster.start_taskmanager(settings)
        time.sleep(CHECK_EVERY_S)


def main() -> None:
    settings = config.load_saved(Path(sys.argv[1]))
    if settings is None:
        sys.exit(f"no running stack recorded in {sys.argv[1]}")
    supervise(settings)


if __name__ == "__main__":
    main()
