"""Statements across `down` and `up`, and across a JobManager lost, as Confluent's manager
recovers them: what was meant to be running runs again from its restore point, what was
stopped stays stopped, and a statement that cannot start with the state it needs is stopped
instead, with the reason.

`down` stops each running statement with a savepoint (its Kafka transactions committed) and
leaves it PENDING; `up` resubmits every statement that is meant to run and whose job the
cluster does not have, from that savepoint or its job's latest retained checkpoint (a
JobManager killed takes no savepoint). One that never completed a checkpoint committed
nothing, so it starts again from the beginning of its input without a row read twice by a
read-committed reader (Confluent stops a statement that would process its input again: here
that would only lose what it had not committed). An interactive SELECT has no job to bring
back.
"""

from __future__ import annotations

from collections.abc import Callable

from emulator.catalog import Catalog, StatementRecord
from emulator.config import Settings
from emulator.flink.rest import FlinkRest, SavepointError
from emulator.sql import statements
from emulator.sql.errors import StatementError
from emulator.sql.session import Session

Say = Callable[[str], None]


def suspend(settings: Settings, say: Say = print) -> list[StatementRecord]:
    """Before `down`: stop each running statement with a savepoint; the ones suspended."""
    catalog = Catalog.for_state(settings.state_dir)
    rest = FlinkRest(settings.flink_rest_url)
    try:
        statements.refresh(catalog, rest)
        known = rest.job_ids()
    except OSError:
        return []  # no cluster to stop statements on; `up` recovers from their checkpoints
    suspended = []
    for entry in catalog.statements.values():
        if entry.status not in statements.LIVE or entry.job_id not in known:
            continue
        try:
            target = settings.savepoints_dir.resolve().as_uri()
            entry.restore_point = rest.stop_with_savepoint(entry.job_id, target, drain=False)
            entry.detail = f"Suspended by `down` with savepoint {entry.restore_point}"
        except (SavepointError, OSError) as error:
            entry.detail = f"Suspended by `down` without a savepoint ({error})"
        entry.status = "PENDING"
        suspended.append(entry)
        say(f"  statement {entry.name}: {entry.detail}")
    catalog.save()
    return suspended


def recover(settings: Settings, say: Say = print) -> list[StatementRecord]:
    """After `up`: bring back every statement meant to run whose job the cluster lacks."""
    catalog = Catalog.for_state(settings.state_dir)
    known = FlinkRest(settings.flink_rest_url).job_ids()
    lost = [
        entry
        for entry in catalog.statements.values()
        if entry.status in statements.LIVE
        and entry.job_id is not None
        and entry.job_id not in known
    ]
    if not lost:
        return []
    say(f"==> Bringing back {len(lost)} statement(s) meant to be running")
    recovered = []
    for entry in sorted(lost, key=lambda e: e.created_at):
        try:
            # A session of its own: the SET options it takes back are this statement's only.
            resumed = Session(settings, say).resume(entry.name)
        except StatementError as error:
            detail = _stop_instead(settings, entry.name, str(error))
            say(f"  {entry.name}: STOPPED. {detail}")
            continue
        recovered.append(resumed)
        say(f"  {entry.name}: RUNNING. {resumed.detail}")
    return recovered


def _stop_instead(settings: Settings, name: str, why: str) -> str:
    """A statement that cannot start with the state it needs stays stopped, with the reason."""
    catalog = Catalog.for_state(settings.state_dir)
    entry = catalog.statements[name]
    entry.status = "STOPPED"
    entry.detail = f"Not restarted: it could not start with the state it needs. {why}"
    catalog.save()
    return entry.detail
