"""The stack's supervisor: a small background process that starts a TaskManager again when it
dies, as Confluent replaces a failed machine. Flink's restart strategy then runs the jobs
again on the new TaskManager's slots from their last checkpoint. It also chains statements'
commits (emulator/flink/chained_commits.py), unless CCFLINK_CHAINED_COMMITS is off.

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
from emulator.flink.chained_commits import ChainedCommits
from emulator.flink.rest import FlinkRest
from emulator.process import ManagedProcess

NAME = "supervisor"
CHECK_EVERY_S = 1.0
# Chained commits look for completed checkpoints this often: a reader's commit follows its
# writer's within about this much plus chained_commits.TRIGGER_DELAY_S.
CHAIN_EVERY_S = 0.2


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


def supervise(settings: Settings, chained: ChainedCommits | None) -> None:
    """Check the TaskManager every CHECK_EVERY_S seconds, logging each replacement to stdout
    (the service log), and chain commits every CHAIN_EVERY_S."""
    next_check = time.monotonic()
    while True:
        if time.monotonic() >= next_check:
            next_check = time.monotonic() + CHECK_EVERY_S
            if taskmanager_lost(settings):
                print(f"{datetime.now(UTC):%H:%M:%S} TaskManager gone; starting again", flush=True)
                cluster.start_taskmanager(settings)
        if chained is not None:
            chained.tick()
        time.sleep(CHAIN_EVERY_S if chained is not None else CHECK_EVERY_S)


def main() -> None:
    settings = config.load_saved(Path(sys.argv[1]))
    if settings is None:
        sys.exit(f"no running stack recorded in {sys.argv[1]}")
    chained = None
    if not config.chained_commits():
        chaining = f"off ({config.CHAINED_COMMITS_ENV})"
    elif not settings.own_flink:  # never trigger checkpoints on a profile's other cluster
        chaining = "off (statements run on the profile's Flink cluster)"
    else:
        chained = ChainedCommits(FlinkRest(settings.flink_rest_url))
        chaining = "on"
    print(f"{datetime.now(UTC):%H:%M:%S} supervising; chained commits {chaining}", flush=True)
    supervise(settings, chained)


if __name__ == "__main__":
    main()
