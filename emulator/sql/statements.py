"""Statements as Confluent lists them: named, recorded in the catalog, as alive as their job.

`list`, `describe`, `stop`, `drain` and `delete` of `ccflink flink statement` and the
workspace read and change statements here.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

from common.errors import CcflinkError
from emulator.catalog import Catalog, CatalogError, StatementRecord
from emulator.flink.rest import STATUS_BY_JOB_STATE, FlinkRest

LIVE = {"PENDING", "RUNNING", "FAILING", "STOPPING"}
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
) -> None:
    catalog.statements[name] = StatementRecord(
        name=name,
        sql=sql,
        status=status,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        job_id=job_id,
        detail=detail,
    )
    catalog.save()


def refresh(catalog: Catalog, rest: FlinkRest) -> list[StatementRecord]:
    """Update running statements from their jobs; a job the cluster forgot is STOPPED."""
    changed = False
    for entry in catalog.statements.values():
        if entry.job_id is None or entry.status not in LIVE:
            continue
        try:
            state = rest.job_state(entry.job_id)
        except OSError:
            continue  # cluster down: keep the last known status
        status = STATUS_BY_JOB_STATE.get(state or "", "STOPPED")
        if status == "FAILED" and entry.detail is None:
            entry.detail = rest.failure(entry.job_id)
        if status != entry.status:
            entry.status = status
            changed = True
    if changed:
        catalog.save()
    return sorted(catalog.statements.values(), key=lambda r: r.created_at)


def get(catalog: Catalog, name: str) -> StatementRecord:
    if name not in catalog.statements:
        raise CatalogError(f"statement {name!r} does not exist; `ccflink flink statement list`")
    return catalog.statements[name]


def stop(catalog: Catalog, rest: FlinkRest, name: str) -> StatementRecord:
    entry = get(catalog, name)
    if entry.job_id is not None and entry.status in LIVE:
        rest.cancel(entry.job_id)
    entry.status = "STOPPED" if entry.status in LIVE else entry.status
    catalog.save()
    return entry


def drain(catalog: Catalog, rest: FlinkRest, name: str, savepoints: Path) -> StatementRecord:
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
    location = rest.drain(entry.job_id, savepoints.resolve().as_uri())
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


def delete(catalog: Catalog, rest: FlinkRest, name: str) -> None:
    stop(catalog, rest, name)
    del catalog.statements[name]
    catalog.save()
