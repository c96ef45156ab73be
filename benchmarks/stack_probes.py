"""Where a benchmark stack spends its time: CPU per process, Flink's operator metrics, memory.

Used by `pipeline_end_to_end` to say what bounds its figures on a small machine: which
process burns the cores (the broker, the TaskManager's JVM, its Python workers, the model
server, the producer), which Flink operator is busy or backpressured, and the stack's peak
resident memory.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import psutil
import requests

from emulator import stack
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.flink.cluster import TASKMANAGER
from emulator.process import ManagedProcess

THIS_PROCESS = "this benchmark (producers, offset polls)"
_TICKS = os.sysconf("SC_CLK_TCK")


# --- CPU -----------------------------------------------------------------------------------------


def _process_kind(command: str) -> str:
    if command == "java":
        return "JVM"
    return "Python" if "python" in command or "gunicorn" in command else command


def _stack_processes(settings: Settings) -> list[tuple[int, str, str, list[str]]]:
    """(pid, service, command, /proc stat fields after the command) of every stack process.

    Every service starts in its own session, and what it starts (the TaskManager's Python
    workers, gunicorn's workers) stays in it, so the session id says whose a process is.
    """
    sessions = {}
    for name in stack.SERVICE_NAMES:
        pid = ManagedProcess(name, settings).pid()
        if pid is not None:
            sessions[pid] = name
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        service = sessions.get(int(fields[3]))
        if service is not None:
            command = stat[stat.index("(") + 1 : stat.rindex(")")]
            found.append((int(entry.name), service, command, fields))
    return found


def tree_cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU seconds of `root` and every live process under it."""
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def cpu_seconds(settings: Settings) -> dict[str, float]:
    """CPU seconds (user + system) used so far, by service and kind of process, and by this
    process (the producers and the polls)."""
    totals: dict[str, float] = {}
    for _pid, service, command, fields in _stack_processes(settings):
        label = f"{service} ({_process_kind(command)})"
        totals[label] = totals.get(label, 0.0) + (int(fields[11]) + int(fields[12])) / _TICKS
    usage = resource.getrusage(resource.RUSAGE_SELF)
    totals[THIS_PROCESS] = usage.ru_utime + usage.ru_stime
    return totals


_THREAD = re.compile(r'^"(?P<name>[^"]+)".*? cpu=(?P<ms>[\d.]+)ms', re.MULTILINE)


def thread_group(name: str) -> str:
    """A JVM thread's name without subtask, operator ids and numbering, so threads doing the
    same work add up: `Source: transactions[1] -> Calc[2] (1/1)#0` -> `Source: transactions
    -> Calc`; a sink chain ends at its table."""
    name = re.sub(r"\[\d+\]| \(\d+/\d+\)#\d+$| \| .*$", "", name).split(": Writer")[0]
    return re.sub(r"[-#]?\d+$", "", name).strip()


def taskmanager_pid(settings: Settings) -> int | None:
    """The TaskManager's JVM (its service's session also holds bash, tee, Python workers)."""
    pids = [
        pid
        for pid, service, command, _ in _stack_processes(settings)
        if service == TASKMANAGER and command == "java"
    ]
    return pids[0] if pids else None


def taskmanager_threads(settings: Settings) -> dict[str, float]:
    """CPU seconds per kind of thread in the TaskManager's JVM, from `jcmd PID Thread.print`
    (empty without a JDK's jcmd): which task, fetcher, Kafka client or JIT/GC thread works."""
    jcmd = shutil.which("jcmd")
    pid = taskmanager_pid(settings)
    if jcmd is None or pid is None:
        return {}
    result = subprocess.run(
        [jcmd, str(pid), "Thread.print"], capture_output=True, text=True, timeout=60
    )
    totals: dict[str, float] = {}
    for match in _THREAD.finditer(result.stdout):
        group = thread_group(match["name"])
        totals[group] = totals.get(group, 0.0) + float(match["ms"]) / 1000
    return totals


def machine_seconds() -> dict[str, float]:
    """The whole machine's busy and idle CPU seconds so far (/proc/stat), whoever used them:
    other work on a shared machine shows as busy time outside the stack's processes."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    busy = user + nice + system + irq + softirq + steal
    return {"busy": busy / _TICKS, "idle": (idle + iowait) / _TICKS}


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds each label used between two readings (of `cpu_seconds` or `machine_seconds`)."""
    return {label: after[label] - before.get(label, 0.0) for label in after}


# --- memory --------------------------------------------------------------------------------------


class _Sampler:
    """A daemon thread calling `sample()` every `interval` seconds while in a `with` block."""

    def __init__(self, interval: float, name: str) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def sample(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


class PeakMemory(_Sampler):
    """Samples the stack's resident memory (every service and its children) once a second."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(1.0, "peak-memory")
        self.settings = settings
        self.peak_bytes = 0
        self.at_peak: dict[str, int] = {}  # each service's share of the peak

    def sample(self) -> None:
        shares = {n: ManagedProcess(n, self.settings).memory_bytes() for n in stack.SERVICE_NAMES}
        total = sum(shares.values())
        if total > self.peak_bytes:
            self.peak_bytes, self.at_peak = total, shares


# --- Flink ---------------------------------------------------------------------------------------

# Totals since the job started, summed over a vertex's subtasks. Busy, backpressured and idle
# time add up to the subtasks' wall-clock time, so deltas between two samples give shares and
# rates on the counters' own clock: the REST API refreshes them only every 10 s.
_TIME_COUNTERS = ("accumulateBusyTimeMs", "accumulateBackPressuredTimeMs", "accumulateIdleTimeMs")
# A chain that starts with a Kafka source receives nothing from upstream and one that ends in
# a Kafka sink sends nothing downstream: their records are the source's and the sink's.
_RECORDS_IN = (re.compile(r"^Source__.*\.numRecordsOut$"), re.compile(r"^numRecordsIn$"))
_RECORDS_OUT = (re.compile(r"__Writer\.numRecordsSend$"), re.compile(r"^numRecordsOut$"))


def _first_match(names: list[str], patterns: tuple[re.Pattern[str], ...]) -> str:
    return next(n for pattern in patterns for n in names if pattern.search(n))


def job_tables(settings: Settings) -> dict[str, str]:
    """Flink job id -> the table its CTAS statement writes (the jobs' own names are opaque)."""
    tables = {}
    for record in Catalog.for_state(settings.state_dir).statements.values():
        match = re.search(r"(?i)CREATE\s+TABLE\s+`?(\w+)", record.sql)
        if record.job_id and match:
            tables[record.job_id] = match.group(1)
    return tables


def wait_jobs_running(settings: Settings, job_ids: set[str], timeout: float = 240.0) -> None:
    """Until every task of every job runs: their Python workers are up, records can flow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = requests.get(f"{settings.flink_rest_url}/jobs/overview", timeout=5).json()["jobs"]
        running = {
            j["jid"]
            for j in jobs
            if j["state"] == "RUNNING" and j["tasks"]["running"] == j["tasks"]["total"]
        }
        if job_ids <= running:
            return
        time.sleep(0.5)
    raise TimeoutError(f"Flink jobs {sorted(job_ids)} were not all running after {timeout:.0f} s")


@dataclass
class VertexLoad:
    """One operator chain's counters over time, read over the span in which records moved."""

    table: str
    name: str
    parallelism: int
    counters: tuple[str, ...]  # Flink's metric names, in the order of a sample
    # (busy ms, backpressured ms, idle ms, records in, records out), summed over subtasks
    samples: list[tuple[float, ...]] = field(default_factory=list)

    def _deltas(self) -> tuple[float, ...] | None:
        """Counter increases from the last sample before records moved to the first after
        they stopped moving."""
        moved = [
            i for i in range(1, len(self.samples)) if self.samples[i][3:] != self.samples[i - 1][3:]
        ]
        if not moved:
            return None
        first, last = self.samples[moved[0] - 1], self.samples[moved[-1]]
        return tuple(b - a for a, b in zip(first, last, strict=True))

    def share(self, index: int) -> float:
        """Busy (0) or backpressured (1) time as a share of the subtasks' time."""
        deltas = self._deltas()
        total = sum(deltas[:3]) if deltas else 0.0
        return deltas[index] / total if deltas and total else 0.0

    def rate(self, index: int) -> float:
        """Records in (3) or out (4) per second of the span."""
        deltas = self._deltas()
        seconds = sum(deltas[:3]) / self.parallelism / 1000 if deltas else 0.0
        return deltas[index] / seconds if deltas and seconds else 0.0


class FlinkSampler(_Sampler):
    """Every `interval` seconds, each vertex's counters from Flink's REST API."""

    def __init__(self, settings: Settings, interval: float = 2.0) -> None:
        super().__init__(interval, "flink-sampler")
        self.url = settings.flink_rest_url
        self.tables = job_tables(settings)
        self.vertices: dict[tuple[str, str], VertexLoad] = {}  # (job, vertex): ids repeat

    def _vertex(self, job_id: str, vertex: dict) -> VertexLoad:
        """The vertex's record, with the names of the counters it has (asked once)."""
        key = (job_id, vertex["id"])
        if key not in self.vertices:
            url = f"{self.url}/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics"
            names = [m["id"] for m in requests.get(url, timeout=5).json()]
            counters = (
                *_TIME_COUNTERS,
                _first_match(names, _RECORDS_IN),
                _first_match(names, _RECORDS_OUT),
            )
            self.vertices[key] = VertexLoad(
                self.tables.get(job_id, job_id), vertex["name"], vertex["parallelism"], counters
            )
        return self.vertices[key]

    def _sample_vertex(self, job_id: str, vertex: dict) -> None:
        load = self._vertex(job_id, vertex)
        metrics = requests.get(
            f"{self.url}/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics",
            params={"get": ",".join(load.counters), "agg": "sum"},
            timeout=5,
        ).json()
        values = {m["id"]: float(m["sum"]) for m in metrics}
        if len(values) == len(load.counters):
            load.samples.append(tuple(values[name] for name in load.counters))

    def sample(self) -> None:
        for job_id in self.tables:
            try:
                job = requests.get(f"{self.url}/jobs/{job_id}", timeout=5).json()
                for vertex in job.get("vertices", []):
                    self._sample_vertex(job_id, vertex)
            except (requests.RequestException, ValueError, KeyError, StopIteration):
                continue  # a sample lost to a busy JobManager is not worth failing for
