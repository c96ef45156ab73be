"""Chained commits: a statement that reads another statement's exactly-once output commits
right after it, instead of at its own next periodic checkpoint.

Under exactly-once a statement's output is visible only once the checkpoint that covers it
commits its Kafka transaction, and each statement checkpoints on its own clock. In a chain
(join -> features -> scoring) a row therefore waits for up to one commit interval per hop,
three intervals end to end. Here, when a statement's checkpoint completes, every running
statement that reads one of the tables it writes is asked for a checkpoint of its own a
moment later (Flink's REST trigger), once the commit is readable: the rows it just read go
out in that checkpoint's transaction, and the whole chain commits within about one interval
of the first hop. Periodic checkpoints go on as configured; these are extra ones, so nothing
commits less often than the interval and exactly-once holds as before.

Which statement reads which comes from the jobs' plans: the tables a job scans and the
tables its writers write. The loop is driven by the stack's supervisor process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from emulator.flink.rest import FlinkRest

# How long after a completed checkpoint the statements reading its output are triggered:
# the checkpoint's Kafka transaction is committed on the task after the JobManager marks it
# complete, and the reader's next fetch must have seen it before its checkpoint barrier.
TRIGGER_DELAY_S = 0.2
# A statement is not triggered again sooner than this after its last trigger (a trigger due
# sooner waits), so that a cycle of statements (one reading what the other writes and back)
# cannot checkpoint without pause.
MIN_GAP_S = 1.0
# How often the running jobs and their plans are looked at again.
JOBS_EVERY_S = 1.0

# `TableSourceScan(table=[[catalog, database, name, ...]], ...)` and `+- name[12]: Writer`.
_SCANNED = re.compile(r"TableSourceScan\(table=\[\[[^,\]]+, [^,\]]+, ([^,\]]+)")
_WRITTEN = re.compile(r"(?:^|[\s>])([^\s<>]+)\[\d+\]: Writer")


@dataclass(frozen=True)
class JobTables:
    """The tables a job reads and writes, by their own name (a topic's name on Confluent)."""

    reads: frozenset[str]
    writes: frozenset[str]


def tables_of_plan(plan: dict) -> JobTables:
    """The tables a job's plan (Flink's `/jobs/<id>/plan`) scans and writes to."""
    reads: set[str] = set()
    writes: set[str] = set()
    for node in plan.get("nodes", []):
        description = node.get("description") or ""
        for scanned in _SCANNED.findall(description):
            reads.add(scanned.strip("`"))
        writes.update(name.strip("`") for name in _WRITTEN.findall(description))
    return JobTables(frozenset(reads), frozenset(writes))


def readers_of(jobs: dict[str, JobTables]) -> dict[str, set[str]]:
    """For each job, the other jobs reading a table it writes."""
    return {
        writer: {
            reader
            for reader, tables in jobs.items()
            if reader != writer and tables.reads & written.writes
        }
        for writer, written in jobs.items()
    }


@dataclass
class ChainedCommits:
    """Triggers a checkpoint of every reader of a statement whose checkpoint just completed.

    `tick()` is called often (every 0.2 s by the supervisor); it refreshes the jobs every
    JOBS_EVERY_S, looks at the latest completed checkpoint of each job that has readers, and
    sends the triggers that are due. A REST error (a job restarting, the JobManager gone)
    skips the job until the next tick: the periodic checkpoints still commit everything.
    """

    rest: FlinkRest
    clock: Callable[[], float] = time.monotonic
    _tables: dict[str, JobTables] = field(default_factory=dict)
    _readers: dict[str, set[str]] = field(default_factory=dict)
    _completed: dict[str, int] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)
    _last_trigger: dict[str, float] = field(default_factory=dict)
    _jobs_checked: float = float("-inf")
    triggered: int = 0

    def tick(self) -> None:
        now = self.clock()
        if now - self._jobs_checked >= JOBS_EVERY_S:
            self._jobs_checked = now
            self._refresh_jobs()
        for writer, readers in self._readers.items():
            if readers and self._newly_completed(writer):
                for reader in readers:
                    self._due.setdefault(reader, now + TRIGGER_DELAY_S)
        for reader, due in list(self._due.items()):
            if due > now:
                continue
            next_allowed = self._last_trigger.get(reader, float("-inf")) + MIN_GAP_S
            if now < next_allowed:
                self._due[reader] = next_allowed
                continue
            del self._due[reader]
            self._trigger(reader, now)

    def _refresh_jobs(self) -> None:
        try:
            running = self.rest.running_job_ids()
        except (requests.RequestException, ValueError):
            return
        for gone in set(self._tables) - running:
            del self._tables[gone]
            self._completed.pop(gone, None)
            self._last_trigger.pop(gone, None)
            self._due.pop(gone, None)
        for job_id in running - set(self._tables):
            try:
                self._tables[job_id] = tables_of_plan(self.rest.plan(job_id))
            except (requests.RequestException, ValueError, KeyError):
                continue
        self._readers = readers_of(self._tables)

    def _newly_completed(self, job_id: str) -> bool:
        """Whether the job completed a checkpoint since the last look (not on the first)."""
        try:
            latest = self.rest.latest_completed_checkpoint(job_id)
        except (requests.RequestException, ValueError, KeyError):
            return False
        if latest is None:
            return False
        before = self._completed.get(job_id)
        self._completed[job_id] = latest
        return before is not None and latest > before

    def _trigger(self, job_id: str, now: float) -> None:
        self._last_trigger[job_id] = now
        try:
            self.rest.trigger_checkpoint(job_id)
        except requests.RequestException:
            return
        self.triggered += 1
