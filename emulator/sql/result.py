"""The one result type every statement returns, and how a SELECT's reading ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def cell(value: Any) -> str:
    """A value as Confluent's workspace shows it; timestamps to the millisecond when exact."""
    if value is None:
        return ""
    if isinstance(value, datetime) and value.microsecond % 1000 == 0:
        return value.isoformat(" ", timespec="milliseconds")
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return str(value)


@dataclass(frozen=True)
class QueryEnd:
    """How reading a SELECT's changelog ended (the job is cancelled unless it finished)."""

    changes: int  # changelog rows read (+I, -U, +U, -D)
    updating: bool  # an updating query (its changelog had -U, +U or -D), not append-only
    stopped: str  # why reading stopped: limit, idle, no-rows, timeout, finished, interrupted,
    # stopped (SelectLimits.stop)
    reason: str  # the same, said for people


@dataclass(frozen=True)
class StatementResult:
    """What a statement did: a message, a job for continuous statements, rows for queries."""

    kind: str  # the statement kind, e.g. "CREATE TABLE AS", "SELECT" (see dialect.parse)
    message: str
    job_id: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    name: str | None = None  # the statement's name, once the session has recorded it
    query: QueryEnd | None = None  # for a SELECT: how its reading ended

    def summary(self) -> str:
        """A SELECT's outcome in one line: rows, changes applied, why reading stopped."""
        count = f"{len(self.rows)} row" + ("" if len(self.rows) == 1 else "s")
        if self.query is None:
            return count
        if self.query.updating:
            count += f" ({self.query.changes} changes applied)"
        text = f"{count}; {self.query.reason}"
        if self.query.stopped != "finished" and self.job_id:
            text += f", job {self.job_id} cancelled"
        return text
