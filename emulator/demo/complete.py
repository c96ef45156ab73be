"""What is left of a bounded replay, and finishing it: the demo's join drained once it has
read every record.

A LEFT interval join emits a transaction without an identity row only when the watermark
passes the end of its window, and only newer records move the watermark: after the last
record of a replay, the latest unmatched transactions would wait forever. Draining the join
(Flink's stop-with-savepoint with drain) advances its watermark to the end, so it emits them;
the statements after it keep running and score them. Draining stops a job's sources where
they are, so it waits until the join has read both topics to their end, and it never drains
the downstream statements, which may still be reading.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from common.errors import CcflinkError
from emulator.catalog import Catalog, StatementRecord
from emulator.config import Settings
from emulator.demo.names import JOIN_TABLE, WATERMARK_HELD_TABLES
from emulator.flink.rest import FlinkRest
from emulator.kafka.offsets import EndOffsets
from emulator.sql import statements

# Flink's Kafka source reports, per source, how many records it has still to read.
PENDING_RECORDS_METRIC = "pendingRecords"
# The JobManager refreshes the metrics it serves every 10 s.
READ_POLL_SECONDS = 2.0
READ_TIMEOUT_SECONDS = 600.0

Say = Callable[[str], None]


class ReplayNotReadError(CcflinkError):
    """The join had not read its topics to the end in time; draining it would lose records."""


def holding_back(
    catalog: Catalog, rest: FlinkRest, tables: tuple[str, ...] = WATERMARK_HELD_TABLES
) -> list[StatementRecord]:
    """The running statements writing `tables`, which hold rows back for the watermark (the
    demo's join)."""
    statements.refresh(catalog, rest)
    return [
        entry
        for table in tables
        for entry in statements.writing_to(catalog, table)
        if entry.status in statements.LIVE
    ]


def unread_records(rest: FlinkRest, job_id: str) -> float | None:
    """Records the job's Kafka sources have still to read; None before they report it."""
    pending = rest.metrics(job_id, PENDING_RECORDS_METRIC)
    return sum(pending.values()) if pending else None


def wait_until_read(
    rest: FlinkRest, entry: StatementRecord, timeout: float = READ_TIMEOUT_SECONDS
) -> None:
    """Return once the statement's sources have read their topics to the end."""
    deadline = time.monotonic() + timeout
    unread = unread_records(rest, entry.job_id or "")
    while unread != 0:
        if time.monotonic() > deadline:
            count = "an unknown number of" if unread is None else f"{unread:,.0f}"
            raise ReplayNotReadError(
                f"statement {entry.name!r} still had {count} records to read after "
                f"{timeout:.0f} s, so it was not drained; once it has read them: "
                f"`ccflink flink statement drain {entry.name}`"
            )
        time.sleep(READ_POLL_SECONDS)
        unread = unread_records(rest, entry.job_id or "")


def finish_replay(
    settings: Settings,
    say: Say = print,
    tables: tuple[str, ...] = WATERMARK_HELD_TABLES,
    catalog: Catalog | None = None,
) -> list[StatementRecord]:
    """Drain the statements writing `tables` (those that hold rows back for the watermark:
    the demo's join) once they have read every record; the ones drained.

    `catalog`: the one a running session holds, so that it sees the statements drained (else
    the state folder's is read)."""
    rest = FlinkRest(settings.flink_rest_url)
    if catalog is None:
        catalog = Catalog.for_state(settings.state_dir)
    drained = []
    for entry in holding_back(catalog, rest, tables):
        say(f"==> Draining statement {entry.name} once it has read every record")
        wait_until_read(rest, entry)
        drained.append(statements.drain(catalog, rest, settings, entry.name))
        say(f"  {entry.name}: {drained[-1].status}. {drained[-1].detail}")
    return drained


def unscored_lines(
    settings: Settings,
    transactions: int,
    predictions: int,
    *,
    drained: bool,
    joined_before: int = 0,
) -> list[str]:
    """How many transactions have no prediction yet, where they are, and why.

    `joined_before`: the join's rows that are not of these transactions (an earlier replay's).
    """
    if predictions > transactions:
        return [
            f"{predictions - transactions:,} more predictions than transactions: the statements "
            "also scored an earlier replay's transactions, or scored some twice."
        ]
    if predictions == transactions:
        return []
    waiting = transactions - predictions
    [total] = (
        EndOffsets(settings.bootstrap_servers, security=settings.kafka_security)
        .committed([JOIN_TABLE])
        .values()
    )
    joined = max(0, (total or 0) - joined_before)
    held = min(waiting, max(0, transactions - joined))
    earlier = f", {joined_before:,} of them an earlier replay's" if joined_before else ""
    lines = [
        f"{waiting:,} transactions have no prediction yet: {held:,} held in the join "
        f"({JOIN_TABLE} has {total or 0:,} rows{earlier}), {waiting - held:,} on their way "
        "through features and ML_PREDICT."
    ]
    if drained:
        lines.append(
            "The join was drained, so none waits for the watermark: the statements after it "
            "did not score the rest in time; `ccflink flink statement list` and `ccflink top` "
            "show where they are."
        )
    elif held:
        catalog = Catalog.for_state(settings.state_dir)
        names = [e.name for e in holding_back(catalog, FlinkRest(settings.flink_rest_url))]
        drain = f"`ccflink flink statement drain {names[0]}`" if names else "draining the join"
        lines.append(
            "The join holds the latest transactions without an identity row: a LEFT interval "
            "join emits one once the watermark passes the end of its window, and the watermark "
            "waits for newer records on every partition of both topics (as on Confluent Cloud). "
            f"A bounded replay gets them with {drain}, or `ccflink up --demo --until-complete` "
            "(`make up UNTIL_COMPLETE=1`)."
        )
    return lines
