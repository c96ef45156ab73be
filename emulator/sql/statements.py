"""Statements as Confluent lists them: named, recorded in the catalog, as alive as their job.

`list`, `describe`, `exception list`, `stop`, `drain` and `delete` of `ccflink flink
statement` and the workspace read and change statements here; `resume` and the recovery at
`up` are the session's (`session.py`, `recovery.py`), since they submit statements again.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

from common.errors import CcflinkError
from emulator.catalog import Catalog, CatalogError, StatementRecord
from emulator.config import Settings
from emulator.flink.checkpoints import retained_checkpoint
from emulator.flink.rest import STATUS_BY_JOB_STATE, FlinkRest, JobException, SavepointError
from pyflink_jobs.ml_predict import METRIC_GROUP

# Statements meant to be running: their job runs, restarts, or is to be brought back.
LIVE = {"PENDING", "RUNNING", "DEGRADED", "FAILING", "STOPPING"}
# A running statement that failed and restarted this recently is DEGRADED, as Confluent shows
# one that "has frequently restarted recently".
DEGRADED_WINDOW_S = 120.0
# Blanks and comments before a statement's first keyword.
_LEADING_COMMENTS = r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*"


class StatementStateError(CcflinkError):
    """A statement whose status does not allow what was asked (draining a stopped one)."""


def new_statement_name() -> str:
    """A name like the `confluent` CLI gives statements it submits."""
    return f"cli-{datetime.now(UTC):%Y-%m-%d-%H%M%S}-{uuid.uuid4().hex[:8]}"


def record(
    catalog: Catalog,
    name: str,
    sql: str,
    status: str,
    job_id: str | None = None,
    detail: str | None = None,
    options: dict[str, str] | None = None,
) -> None:
    catalog.statements[name] = StatementRecord(
        name=name,
        sql=sql,
        status=status,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        job_id=job_id,
        detail=detail,
        options=dict(options or {}),
    )
    catalog.save()


def refresh(catalog: Catalog, rest: FlinkRest) -> list[StatementRecord]:
    """Update live statements from their jobs.

    A statement whose job failed and restarted within DEGRADED_WINDOW_S is DEGRADED, its
    detail the last failure. A job the cluster no longer knows (the JobManager restarted) keeps
    its statement's status: it was meant to run, and `ccflink up` brings it back.
    """
    changed = False
    for entry in catalog.statements.values():
        if entry.job_id is None or entry.status not in LIVE:
            continue
        try:
            state = rest.job_state(entry.job_id)
        except OSError:
            continue  # cluster down: keep the last known status
        if state is None:
            continue
        status = STATUS_BY_JOB_STATE.get(state, "STOPPED")
        if status == "FAILED" and entry.detail is None:
            entry.detail = rest.failure(entry.job_id)
        if status in {"RUNNING", "DEGRADED"}:
            recent = _recent_failure(rest, entry.job_id)
            if recent is not None:
                status, entry.detail = "DEGRADED", f"restarting after: {recent.message}"
        if status != entry.status:
            entry.status = status
            changed = True
    if changed:
        catalog.save()
    return sorted(catalog.statements.values(), key=lambda r: r.created_at)


def _recent_failure(rest: FlinkRest, job_id: str) -> JobException | None:
    failures = rest.exceptions(job_id)
    if failures and time.time() - failures[0].timestamp_ms / 1000 < DEGRADED_WINDOW_S:
        return failures[0]
    return None


def get(catalog: Catalog, name: str) -> StatementRecord:
    if name not in catalog.statements:
        raise CatalogError(f"statement {name!r} does not exist; `ccflink flink statement list`")
    return catalog.statements[name]


def stop(catalog: Catalog, rest: FlinkRest, settings: Settings, name: str) -> StatementRecord:
    """Stop a statement so that `resume` continues it where it stopped, as Confluent's `stop`.

    Flink's stop-with-savepoint commits the Kafka transactions of the last records first; a
    job that cannot take one (restarting after failures) is cancelled, and its latest retained
    checkpoint is where it resumes from.
    """
    entry = get(catalog, name)
    if entry.job_id is not None and entry.status in LIVE:
        entry.restore_point, how = _stop_job(rest, settings, entry.job_id)
        entry.detail = f"Stopped {how}" if entry.restore_point else "Stopped; nothing to resume"
    entry.status = "STOPPED" if entry.status in LIVE else entry.status
    catalog.save()
    return entry


def _stop_job(rest: FlinkRest, settings: Settings, job_id: str) -> tuple[str | None, str]:
    """Stop a job; where it can resume from, and how it was stopped, for the user."""
    if rest.job_state(job_id) == "RUNNING":
        try:
            target = settings.savepoints_dir.resolve().as_uri()
            location = rest.stop_with_savepoint(job_id, target, drain=False)
            return location, f"with savepoint {location}"
        except SavepointError:
            pass  # e.g. a task restarting; its checkpoints still hold its state
    rest.cancel(job_id)
    checkpoint = retained_checkpoint(settings, job_id)
    return checkpoint, f"at its last checkpoint {checkpoint}"


def drain(catalog: Catalog, rest: FlinkRest, settings: Settings, name: str) -> StatementRecord:
    """Emit every row the statement holds back for the watermark, then stop it (Flink's
    stop-with-savepoint with drain, the savepoint in `savepoints`).

    For a bounded replay: a LEFT interval join emits its unmatched rows only when newer records
    move the watermark, and none come once the replay is over. The job then FINISHES, which
    Confluent shows as COMPLETED, the status of a statement that read its bounded input to
    the end: it cannot be resumed (its watermark is at the end of time).
    """
    entry = get(catalog, name)
    if entry.job_id is None or entry.status not in LIVE:
        raise StatementStateError(
            f"statement {name!r} is {entry.status}: only a running statement can be drained"
        )
    target = settings.savepoints_dir.resolve().as_uri()
    location = rest.stop_with_savepoint(entry.job_id, target, drain=True)
    entry.status = STATUS_BY_JOB_STATE.get(rest.wait_until_stopped(entry.job_id) or "", "STOPPED")
    entry.detail = f"Drained: every row held back for the watermark was emitted ({location})"
    catalog.save()
    return entry


def writing_to(catalog: Catalog, table: str) -> list[StatementRecord]:
    """The statements whose job writes `table`: its CREATE TABLE ... AS, INSERT INTO it."""
    target = re.compile(
        rf"{_LEADING_COMMENTS}(CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?|INSERT\s+INTO\s+)"
        rf"`?{re.escape(table)}`?[\s(]",
        re.IGNORECASE | re.DOTALL,
    )
    return [
        entry
        for entry in catalog.statements.values()
        if entry.job_id is not None and target.match(entry.sql)
    ]


def job_running(rest: FlinkRest, entry: StatementRecord) -> bool:
    """Whether the statement's job is on the cluster and not ended (it may be restarting)."""
    if entry.job_id is None:
        return False
    state = rest.job_state(entry.job_id)
    return state is not None and STATUS_BY_JOB_STATE.get(state) in LIVE


def restore_point(settings: Settings, entry: StatementRecord) -> str | None:
    """Where a statement continues from: the savepoint it was stopped with, else its job's
    latest retained checkpoint."""
    if entry.restore_point is not None:
        return entry.restore_point
    return None if entry.job_id is None else retained_checkpoint(settings, entry.job_id)


def exceptions(catalog: Catalog, rest: FlinkRest, name: str) -> list[JobException]:
    """The statement's job failures, newest first (`statement exception list`)."""
    entry = get(catalog, name)
    return [] if entry.job_id is None else rest.exceptions(entry.job_id)


def delete(catalog: Catalog, rest: FlinkRest, name: str) -> None:
    entry = get(catalog, name)
    if entry.job_id is not None and entry.status in LIVE:
        rest.cancel(entry.job_id)
    del catalog.statements[name]
    catalog.save()


def model_calls(rest: FlinkRest, job_id: str) -> dict[str, dict[str, float]]:
    """A job's ML_PREDICT calls by model, Flink's counters summed over subtasks: requests,
    retries, failures by HTTP status, `latency_ms_sum` and `latency_ms_count`."""
    calls: dict[str, dict[str, float]] = {}
    for name, value in rest.metrics(job_id, METRIC_GROUP).items():
        model, _, counter = name.partition(".")
        calls.setdefault(model, {})[counter] = value
    return calls


def mean_latency_ms(counters: dict[str, float]) -> float | None:
    """The mean round trip of the calls `counters` timed (None before any)."""
    count = counters.get("latency_ms_count", 0.0)
    return counters.get("latency_ms_sum", 0.0) / count if count else None
