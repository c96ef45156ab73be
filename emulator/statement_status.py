"""Statements' live status: a continuous statement is as alive as its Flink job."""

from __future__ import annotations

from emulator.catalog import Catalog, StatementRecord
from emulator.flink.rest import STATUS_BY_JOB_STATE, FlinkRest

LIVE = {"PENDING", "RUNNING", "FAILING", "STOPPING"}


def refresh(catalog: Catalog, rest: FlinkRest) -> list[StatementRecord]:
    """Update running statements from their jobs; a job the cluster forgot is STOPPED."""
    changed = False
    for record in catalog.statements.values():
        if record.job_id is None or record.status not in LIVE:
            continue
        try:
            state = rest.job_state(record.job_id)
        except OSError:
            continue  # cluster down: keep the last known status
        status = STATUS_BY_JOB_STATE.get(state or "", "STOPPED")
        if status == "FAILED" and record.detail is None:
            record.detail = rest.failure(record.job_id)
        if status != record.status:
            record.status = status
            changed = True
    if changed:
        catalog.save()
    return sorted(catalog.statements.values(), key=lambda r: r.created_at)


def stop(catalog: Catalog, rest: FlinkRest, name: str) -> StatementRecord:
    record = _get(catalog, name)
    if record.job_id is not None and record.status in LIVE:
        rest.cancel(record.job_id)
    record.status = "STOPPED" if record.status in LIVE else record.status
    catalog.save()
    return record


def delete(catalog: Catalog, rest: FlinkRest, name: str) -> None:
    stop(catalog, rest, name)
    del catalog.statements[name]
    catalog.save()


def _get(catalog: Catalog, name: str) -> StatementRecord:
    if name not in catalog.statements:
        raise KeyError(f"statement {name!r} does not exist; `ccflink flink statement list`")
    return catalog.statements[name]
