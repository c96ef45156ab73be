"""Fault drills on the real stack: the fraud pipeline scoring a paced replay while a fault is
injected mid-stream, every TransactionID of its output counted with a read-committed reader.

Each drill runs its own renamed copy of the pipeline's SQL files (`<drill>_transactions`,
`<drill>_fraud_predictions`, ...) beside the others on one stack. The replay is paced (about
REPLAY_SECONDS of wall time, event-time stamps), so the fault lands while records are still
being produced and scored. Once the replay is in, the join is drained (what
`up --demo --until-complete` does) so the transactions it holds for the watermark are scored
too; then every transaction must have exactly one prediction.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from emulator import model_endpoint
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.demo.complete import finish_replay
from emulator.demo.names import JOIN_TABLE, KEY_COLUMN, PREDICTIONS_TOPIC
from emulator.demo.pipeline import ensure_local_connection, prefixed_sql, sql_files
from emulator.flink import cluster
from emulator.flink.rest import FlinkRest
from emulator.kafka import broker
from emulator.process import ManagedProcess
from emulator.sql import statements
from emulator.sql.session import Session
from emulator.topic_reader import AvroTopicReader
from producers.produce import IDENTITIES, TRANSACTIONS, produce_dataset
from producers.synthetic import generate

ROWS = 400
REPLAY_SECONDS = 25.0
FAULT_AFTER_SECONDS = 8.0  # into the replay: records before, during and after the fault
SCORED_TIMEOUT_SECONDS = 420.0
# The log's reader is opened again after this long without a record: once, after the broker
# restart, its consumer stopped fetching (10 of 400 read in 7 minutes) with every prediction
# committed in the topic and readable by any new consumer.
READER_IDLE_SECONDS = 20.0
CONNECTION = "fraud-detection-endpoint"
CHECKPOINT_NOTE = (
    f"{ROWS} synthetic transactions replayed over about {REPLAY_SECONDS:.0f} s, the fault "
    f"{FAULT_AFTER_SECONDS:.0f} s in; out: predictions read with isolation.level "
    "read_committed; time to recover: from the fault to the first prediction after it ended."
)


@dataclass
class DrillResult:
    """One drill's count: what went in, what came out, and how long the pipeline stalled."""

    drill: str
    records_in: int
    records_out: int
    lost: int
    duplicated: int
    recovery_seconds: float | None  # from the fault to the first prediction after it ended
    seconds: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Fault:
    """A fault: `inject` breaks the stack and returns once it is over (the service is back or
    the command that heals it returned); `name` is the drill's table prefix."""

    name: str
    title: str
    inject: Callable[[Settings], None]
    connection: str = CONNECTION  # the endpoint connection the drill's model uses


class PredictionLog:
    """Every prediction of a topic as it arrives (read committed), on a thread of its own.

    A read that fails mid-batch (the registry or the broker away during the fault) would lose
    what it had fetched, so the log then starts over from the beginning of the topic, as it
    does after READER_IDLE_SECONDS without a record (a consumer stalled by the fault); when
    each TransactionID was first seen is kept across restarts, for the time to recover.
    """

    def __init__(self, settings: Settings, topic: str) -> None:
        self.settings, self.topic = settings, topic
        self.arrivals: list[tuple[float, int]] = []
        self.first_seen: dict[int, float] = {}
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name=f"log-{topic}", daemon=True)
        self._thread.start()

    def _open(self) -> AvroTopicReader:
        return AvroTopicReader(
            self.settings.bootstrap_servers, self.settings.schema_registry_url, self.topic
        )

    def _read(self) -> None:
        reader = None
        last_record = time.monotonic()
        while not self._stop.is_set():
            if reader is not None and time.monotonic() - last_record > READER_IDLE_SECONDS:
                reader.close()
                reader = None
            try:
                if reader is None:
                    reader, self.arrivals = self._open(), []
                    last_record = time.monotonic()
                batch = reader.poll(timeout_ms=500)
            except Exception as error:  # the fault's doing; read everything again
                self.errors.append(f"{type(error).__name__}: {error}")
                if reader is not None:
                    reader.close()
                reader = None
                time.sleep(1)
                continue
            now = time.monotonic()
            if batch:
                last_record = now
            for record in batch:
                key = int(record.value[KEY_COLUMN])
                self.arrivals.append((now, key))
                self.first_seen.setdefault(key, now)
        if reader is not None:
            reader.close()

    def ids(self) -> Counter[int]:
        return Counter(key for _, key in list(self.arrivals))

    def first_after(self, moment: float) -> float | None:
        later = [at for at in list(self.first_seen.values()) if at > moment]
        return min(later, default=None)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment in which `ccflink` commands act on this stack (its folder and ports)."""
    ports = asdict(settings.ports).items()
    port_variables = {f"CCFLINK_{name.upper()}_PORT": str(port) for name, port in ports}
    return {
        **os.environ,
        "CCFLINK_HOME": str(settings.state_dir),
        "CCFLINK_JARS_DIR": str(settings.jars_dir),
        **port_variables,
    }


def ccflink(settings: Settings, *args: str, timeout: float = 300.0) -> str:
    """Run a `ccflink` command as a user would; its output. Fails on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-m", "emulator.cli", *args],
        env=cli_env(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        output = done.stdout + done.stderr
        raise AssertionError(f"ccflink {' '.join(args)} exited {done.returncode}:\n{output}")
    return done.stdout


def kill(settings: Settings, service: str) -> None:
    pid = ManagedProcess(service, settings).pid()
    assert pid is not None, f"{service} is not running"
    os.kill(pid, signal.SIGKILL)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} after {timeout:.0f} s")
        time.sleep(0.5)


# --- the faults -----------------------------------------------------------------------------


def kill_taskmanager(settings: Settings) -> None:
    """SIGKILL the TaskManager; the supervisor starts another, the jobs restart on it."""
    old = ManagedProcess(cluster.TASKMANAGER, settings).pid()
    kill(settings, cluster.TASKMANAGER)
    wait_for(
        lambda: (
            ManagedProcess(cluster.TASKMANAGER, settings).pid() != old
            and ManagedProcess(cluster.TASKMANAGER, settings).is_running()
        ),
        60,
        "a new TaskManager started by the supervisor",
    )


def kill_jobmanager_then_up(settings: Settings) -> None:
    """SIGKILL the JobManager (its jobs die with it), then `ccflink up` brings it and the
    statements back from their retained checkpoints."""
    kill(settings, cluster.JOBMANAGER)
    time.sleep(3)
    ccflink(settings, "up")


def down_then_up(settings: Settings) -> None:
    """`ccflink down` (savepoints), then `ccflink up` (statements resumed from them)."""
    ccflink(settings, "down")
    ccflink(settings, "up")


def model_server_down(settings: Settings, seconds: float = 30.0) -> None:
    """The model server stopped for 30 s, then started again."""
    ManagedProcess(model_endpoint.NAME, settings).stop()
    time.sleep(seconds)
    model_endpoint.start(settings, None, lambda message: None)


def restart_broker(settings: Settings) -> None:
    """The broker stopped (SIGTERM) and started again while the producers keep sending."""
    ManagedProcess(broker.NAME, settings).stop()
    time.sleep(5)
    broker.start(settings)


# --- the drill ------------------------------------------------------------------------------


def run_drill(settings: Settings, fault: Fault, work_dir: Path) -> DrillResult:
    """Run the renamed pipeline, replay ROWS transactions with `fault` injected mid-stream,
    drain the join, and count the predictions."""
    began = time.monotonic()
    prefix = f"{fault.name}_"
    data_dir = work_dir / fault.name
    generate(ROWS, data_dir, seed=len(fault.name))
    with (data_dir / "train_transaction.csv").open() as rows:
        expected = [int(row[KEY_COLUMN]) for row in csv.DictReader(rows)]
    _start_pipeline(settings, prefix, fault.connection)
    log = PredictionLog(settings, prefix + PREDICTIONS_TOPIC)
    replay = threading.Thread(target=_replay, args=(settings, data_dir, prefix), daemon=True)
    try:
        replay.start()
        time.sleep(FAULT_AFTER_SECONDS)
        fault_started = time.monotonic()
        fault.inject(settings)
        fault_ended = time.monotonic()
        replay.join(timeout=600)
        assert not replay.is_alive(), "the replay did not finish"
        finish_replay(settings, lambda message: None, tables=(prefix + JOIN_TABLE,))
        wait_for(
            lambda: set(expected) <= set(log.ids()),
            SCORED_TIMEOUT_SECONDS,
            f"every transaction scored ({len(set(log.ids()) & set(expected))} of {len(expected)})",
        )
        time.sleep(5)  # a duplicate committed late would show up here
    finally:
        log.close()
        _stop_pipeline(settings, prefix)
    seen = log.ids()
    first = log.first_after(fault_ended)
    return DrillResult(
        drill=fault.title,
        records_in=len(expected),
        records_out=sum(seen.values()),
        lost=len(set(expected) - set(seen)),
        duplicated=sum(count - 1 for count in seen.values()),
        recovery_seconds=None if first is None else round(first - fault_started, 1),
        seconds=round(time.monotonic() - began, 1),
        notes=[f"reader restarted after: {error}" for error in log.errors[:3]],
    )


def _start_pipeline(settings: Settings, prefix: str, connection: str) -> None:
    ensure_local_connection(settings)
    session = Session(settings, lambda message: None)
    for path in sql_files():
        text = prefixed_sql(path.read_text(), prefix).replace(f"'{CONNECTION}'", f"'{connection}'")
        list(session.run_script(text, str(path)))


def _replay(settings: Settings, data_dir: Path, prefix: str) -> None:
    sources = tuple(replace(s, topic=prefix + s.topic) for s in (TRANSACTIONS, IDENTITIES))
    with (data_dir / "train_transaction.csv").open() as rows:
        times = [float(row["TransactionDT"]) for row in csv.DictReader(rows)]
    produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        data_dir,
        settings.state_dir / "dead-letters",
        sources=sources,
        show_progress=False,
        timestamps="event",
        speedup=max(times[-1] - times[0], 1.0) / REPLAY_SECONDS,
    )


def _stop_pipeline(settings: Settings, prefix: str) -> None:
    """Delete the drill's statements, so the next drill has the task slots and the CPU."""
    catalog = Catalog.for_state(settings.state_dir)
    rest = FlinkRest(settings.flink_rest_url)
    for entry in list(catalog.statements.values()):
        if entry.job_id is not None and prefix in entry.sql:
            statements.delete(catalog, rest, entry.name)
