"""Statements as Confluent lists them: named, recorded in the catalog, as alive as their job.

`list`, `describe`, `stop` and `delete` of `ccflink flink statement` and the workspace read
and change statements here.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from emulator.catalog import Catalog, CatalogError, StatementRecord
from emulator.flink.rest import STATUS_BY_JOB_STATE, FlinkRest

LIVE = {"PENDING", "RUNNING", "FAILING", "STOPPING"}


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


def delete(catalog: Catalog, rest: FlinkRest, name: str) -> None:
    stop(catalog, rest, name)
    del catalog.statements[name]
    catalog.save()
