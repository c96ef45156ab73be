"""The stack under test: started as `make up` starts it, on free ports, and checked on.

Each mode gets its own stack in a temporary folder so a run never touches a developer's.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from benchmarks.end_to_end.progress import quiet, say
from benchmarks.stack_probes import job_tables, wait_jobs_running
from emulator import config, stack
from emulator.config import Settings
from emulator.demo.model import ensure_model
from emulator.demo.pipeline import run_pipeline
from emulator.flink.rest import FlinkRest
from emulator.ports import free_ports
from emulator.process import ServiceError


def start_pipeline(
    settings: Settings, batch_size: int, read_uncommitted: bool = False
) -> tuple[float, ...]:
    """`make up` without the demo's replay: seconds per step, up to the jobs running."""
    marks = [time.monotonic()]
    stack.up(settings, say=quiet, prepare_model=ensure_model)
    marks.append(time.monotonic())
    run_pipeline(settings, say=quiet, ml_batch_size=batch_size, read_uncommitted=read_uncommitted)
    marks.append(time.monotonic())
    wait_jobs_running(settings, set(job_tables(settings)))
    marks.append(time.monotonic())
    return tuple(b - a for a, b in itertools.pairwise(marks))


def start_stack(
    folder: Path, batch_size: int, read_uncommitted: bool = False
) -> tuple[Settings, tuple[float, ...]]:
    """A stack on free ports with the pipeline's jobs running, and the seconds each step took.

    Others start stacks on this machine too: a port taken between choosing and binding it
    gets one more try, from scratch, on new ports. A failed start leaves nothing running.
    """
    for attempt in (1, 2):
        settings = Settings(
            folder / f"state-{attempt}", jars_dir=config.jars_dir(), ports=free_ports()
        )
        try:
            return settings, start_pipeline(settings, batch_size, read_uncommitted)
        except ServiceError as error:
            stack.down(settings)
            if attempt == 2:
                raise
            say(f"  the stack did not start ({str(error).splitlines()[0]}); once more")
        except BaseException:
            stack.down(settings)
            raise
    raise AssertionError("unreachable: the loop returns or raises")


def failed_statements(settings: Settings) -> list[str]:
    """`table: why` for each pipeline job that is no longer running."""
    rest = FlinkRest(settings.flink_rest_url)
    return [
        f"`{table}`: {rest.failure(job) or rest.job_state(job)}"
        for job, table in job_tables(settings).items()
        if rest.job_state(job) != "RUNNING"
    ]
