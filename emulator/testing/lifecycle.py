"""The stack a test session runs against: started on free ports, or kept between runs.

A session starts Kafka, the Schema Registry and Flink (the supervisor with them), not the
demo's model endpoint: tests serve their own model (`endpoints.py`). Without a folder to keep
it in, the stack lives in a temporary folder and stops with the session. With one
(`--ccflink-keep DIR`), a healthy stack found there is reused, else one is started there; it
is left running when the session ends, with what the tests made, for the next run and for
`ccflink` commands to inspect (`CCFLINK_HOME=DIR ccflink top`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from emulator import config, model_endpoint, stack
from emulator.config import Settings
from emulator.ports import free_ports

LOG = logging.getLogger("ccflink.testing")
# What a test session runs: the stack's services but the demo's endpoint.
SERVICES = [name for name in stack.SERVICE_NAMES if name != model_endpoint.NAME]


def start(state_dir: Path) -> Settings:
    """A new stack in `state_dir`, on free ports; stopped again if it fails to start."""
    settings = Settings(state_dir=state_dir, jars_dir=config.jars_dir(), ports=free_ports())
    stack.up(settings, say=LOG.info, model_server=False)
    return settings


def reusable(state_dir: Path) -> Settings | None:
    """The stack running in `state_dir` when all its services answer as healthy; else None."""
    saved = config.load_saved(state_dir)
    if saved is None:
        return None
    healthy = {service.name for service in stack.status(saved) if service.healthy}
    return saved if healthy.issuperset(SERVICES) else None


def keep_in(state_dir: Path) -> Settings:
    """The stack kept in `state_dir`: reused when healthy, else what is left of it stopped and
    a new one started there (its topics and catalog stay on disk)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    found = reusable(state_dir)
    if found is not None:
        LOG.info("reusing the stack in %s", state_dir)
        return found
    stack.down(config.load_saved(state_dir) or Settings(state_dir, config.jars_dir()))
    return start(state_dir)
