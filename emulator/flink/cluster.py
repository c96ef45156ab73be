"""The compute pool: a Flink session cluster from the distribution inside the PyFlink package.

`FLINK_HOME` is the installed `pyflink` folder (it carries `bin/` and `lib/`); the configuration
is a copy of its `conf/` in the state folder with our ports, bind addresses, memory and the
Python interpreter of this environment, so Python functions run in the TaskManager's own
Python workers and jobs keep running after the client that submitted them exits.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyflink
import requests
import yaml

from emulator import config
from emulator.config import Settings
from emulator.process import ManagedProcess, ServiceError

JOBMANAGER = "flink-jobmanager"
TASKMANAGER = "flink-taskmanager"
TASK_SLOTS = 12
# Resident memory of the whole stack stays under 4 GB (issue 14). The TaskManager's heap
# (about 780 MB of 2.25 GB) holds the join's state; managed memory is only a budget for the
# Python workers (about 185 MB resident each, beside the JVM), nothing the JVM touches. The
# JobManager only coordinates: the serial collector and C1-compiled code keep it small.
# FLINK_PROPERTIES overrides each.
TASKMANAGER_MEMORY = "2304m"
JOBMANAGER_MEMORY = "960m"
JOBMANAGER_JVM_OPTIONS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"

# How often statements checkpoint, and so commit what they wrote to Kafka. Confluent Cloud
# commits about every minute; locally a user waits for results, so 5 s: a statement's output
# is visible to a read-committed reader up to one interval after it was written (a chain's
# later statements commit right after the one they read: flink/chained_commits.py), and a
# checkpoint of this pipeline's state costs milliseconds.
CHECKPOINT_INTERVAL = "5 s"
CHECKPOINT_STATISTICS_FRESH = "50 ms"


def flink_home() -> Path:
    """The Flink distribution inside the PyFlink package (bin/, lib/, opt/)."""
    return Path(pyflink.__file__).resolve().parent


def conf_dir(settings: Settings) -> Path:
    return settings.state_dir / "flink" / "conf"


def connector_jars(settings: Settings) -> list[Path]:
    """Jars every job needs: Kafka connector, avro-confluent format, and Flink's Python runtime."""
    jars = sorted((settings.jars_dir / "flink").glob("*.jar"))
    python_jar = sorted((flink_home() / "opt").glob("flink-python-*.jar"))
    return jars + python_jar


def _set(config: dict[str, Any], dotted: str, value: Any) -> None:
    node = config
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def fault_tolerance(settings: Settings) -> dict[str, Any]:
    """What makes statements survive faults, as every job gets it (FLINK_PROPERTIES and SET
    override each key): periodic exactly-once checkpoints kept on local disk, retained when a
    job is cancelled (so `up` can bring it back), and restarts with exponential back-off that
    never give up, as Confluent keeps a statement running through task failures.
    """
    return {
        "execution.checkpointing.interval": CHECKPOINT_INTERVAL,
        "execution.checkpointing.mode": "EXACTLY_ONCE",
        "execution.checkpointing.dir": settings.checkpoints_dir.resolve().as_uri(),
        "execution.checkpointing.savepoint-dir": settings.savepoints_dir.resolve().as_uri(),
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "execution.checkpointing.num-retained": 2,
        "restart-strategy.type": "exponential-delay",
        "restart-strategy.exponential-delay.initial-backoff": "1 s",
        "restart-strategy.exponential-delay.max-backoff": "30 s",
        "restart-strategy.exponential-delay.backoff-multiplier": 2.0,
        "restart-strategy.exponential-delay.reset-backoff-threshold": "5 min",
    }


def job_settings(settings: Settings) -> dict[str, str]:
    """The fault-tolerance keys a client sets on each job, after FLINK_PROPERTIES: a job's own
    configuration wins over the cluster's, so the cluster's overrides must reach it this way."""
    chosen = fault_tolerance(settings)
    user = flink_properties(config.flink_properties_text())
    return {key: str(user.get(key, value)) for key, value in chosen.items()}


def overrides(settings: Settings) -> dict[str, Any]:
    host = settings.flink_host
    state = settings.state_dir / "flink"
    return {
        "jobmanager.bind-host": host,
        "jobmanager.rpc.address": host,
        "jobmanager.rpc.port": settings.ports.flink_rpc,
        "jobmanager.memory.process.size": JOBMANAGER_MEMORY,
        "env.java.opts.jobmanager": JOBMANAGER_JVM_OPTIONS,
        "taskmanager.bind-host": host,
        "taskmanager.host": host,
        "taskmanager.numberOfTaskSlots": TASK_SLOTS,
        "taskmanager.memory.process.size": TASKMANAGER_MEMORY,
        "rest.address": host,
        "rest.bind-address": host,
        "rest.port": settings.ports.flink_rest,
        # Checkpoint statistics as they are, not up to 3 s old (web.refresh-interval): chained
        # commits act on a completed checkpoint as soon as the supervisor sees it.
        "rest.cache.checkpoint-statistics.timeout": CHECKPOINT_STATISTICS_FRESH,
        "blob.server.port": "0",
        "taskmanager.rpc.port": "0",
        "taskmanager.data.port": 0,
        "python.executable": settings.python,
        "python.client.executable": settings.python,
        "io.tmp.dirs": str(state / "tmp"),
        "web.tmpdir": str(state / "web"),
        "parallelism.default": 1,
        # A TaskManager that dies is noticed in seconds (two failed heartbeats), not after
        # the 50 s default timeout, so its jobs restart as soon as the supervisor replaces it.
        "heartbeat.interval": 2000,
        "heartbeat.timeout": 20000,
    } | fault_tolerance(settings)


def flink_properties(text: str) -> dict[str, Any]:
    """`key: value` lines, as the official Flink image takes them in FLINK_PROPERTIES."""
    properties: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, colon, value = line.partition(":")
        if not colon or not key.strip():
            raise ServiceError(f"FLINK_PROPERTIES line {number}: {line!r} is not 'key: value'")
        properties[key.strip()] = yaml.safe_load(value) if value.strip() else ""
    return properties


def write_flink_conf(target: Path, settings_overrides: dict[str, Any]) -> None:
    """Copy PyFlink's packaged conf/ to `target` and apply flat keys ("rest.port") to it.

    Also used by the Docker image's build (docker/flink/configure.py).
    """
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(flink_home() / "conf", target)
    config = yaml.safe_load((target / "config.yaml").read_text()) or {}
    for key, value in settings_overrides.items():
        _set(config, key, value)
    (target / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def write_config(settings: Settings) -> Path:
    """The stack's Flink configuration in the state folder; returns the conf folder.

    FLINK_PROPERTIES (e.g. "taskmanager.numberOfTaskSlots: 24") goes on top of ours.
    """
    target = conf_dir(settings)
    user_properties = flink_properties(config.flink_properties_text())
    write_flink_conf(target, overrides(settings) | user_properties)
    write_lib(settings)
    for folder in ("tmp", "web"):
        (settings.state_dir / "flink" / folder).mkdir(parents=True, exist_ok=True)
    for folder in (settings.checkpoints_dir, settings.savepoints_dir):
        folder.mkdir(parents=True, exist_ok=True)
    return target


def lib_dir(settings: Settings) -> Path:
    return settings.state_dir / "flink" / "lib"


def write_lib(settings: Settings) -> Path:
    """The cluster's lib/: Flink's own jars and every job's connector jars, linked.

    With the connectors on the JobManager's and TaskManager's classpath, a statement's job
    carries no jars: no 76 MB upload and download per job, and one copy of the Kafka, Avro and
    Python runtime classes for all jobs (loaded and JIT-compiled once, not once per job).
    """
    target = lib_dir(settings)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for jar in [*sorted((flink_home() / "lib").glob("*.jar")), *connector_jars(settings)]:
        (target / jar.name).symlink_to(jar.resolve())
    return target


def _env(settings: Settings) -> dict[str, str]:
    return {
        "FLINK_HOME": str(flink_home()),
        "FLINK_CONF_DIR": str(conf_dir(settings)),
        "FLINK_LIB_DIR": str(lib_dir(settings)),
        "FLINK_LOG_DIR": str(settings.logs_dir),
    }


def is_ready(settings: Settings) -> bool:
    overview = requests.get(f"{settings.flink_rest_url}/overview", timeout=2).json()
    return overview.get("taskmanagers", 0) >= 1 and overview.get("slots-available", 0) > 0


def start(settings: Settings) -> list[ManagedProcess]:
    write_config(settings)
    bin_dir = flink_home() / "bin"
    jobmanager = ManagedProcess(JOBMANAGER, settings)
    jobmanager.start(["bash", str(bin_dir / "jobmanager.sh"), "start-foreground"], _env(settings))
    # The TaskManager retries its registration until the JobManager answers, so both JVMs
    # can warm up at once.
    taskmanager = start_taskmanager(settings)
    jobmanager.wait_ready(
        lambda: requests.get(f"{settings.flink_rest_url}/config", timeout=2).ok,
        timeout=90,
        what=f"REST API on {settings.flink_rest_url}",
    )
    taskmanager.wait_ready(
        lambda: is_ready(settings), timeout=90, what="a TaskManager registered with slots"
    )
    return [jobmanager, taskmanager]


def start_taskmanager(settings: Settings) -> ManagedProcess:
    """Start the TaskManager (unless it runs) with the configuration `start` wrote."""
    taskmanager = ManagedProcess(TASKMANAGER, settings)
    script = flink_home() / "bin" / "taskmanager.sh"
    taskmanager.start(["bash", str(script), "start-foreground"], _env(settings))
    return taskmanager
