"""Reading a SELECT's changelog into a result table, as Confluent's workspace shows it.

The query runs as a job on the cluster; a reader thread takes its changes so this thread keeps
time and takes Ctrl-C, and reading stops at the first limit reached (the job is then
cancelled).
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from emulator.dialect.text import quote_identifier
from emulator.sql.environment import FlinkEnvironment
from emulator.sql.result import QueryEnd, StatementResult


class ResultTable:
    """A query's result built from Flink's changelog.

    +I appends a row. -U and -D remove the row they carry (an unknown row is ignored: it may
    have been read before a limit); the +U that follows a -U takes the updated row's place, so
    an updating query (GROUP BY counts) changes rows in place and an append-only query's rows
    stay in arrival order.
    """

    KINDS = ("+I", "-U", "+U", "-D")

    def __init__(self, columns: list[str]) -> None:
        self.columns = list(columns)
        self.rows: list[tuple] = []
        self.changes = 0
        self.updating = False  # whether a -U, +U or -D came: the query is not append-only
        self._updated_at: int | None = None  # where the row a -U removed was

    @property
    def pending_update(self) -> bool:
        """A -U came without its +U yet: the table is between two states."""
        return self._updated_at is not None

    def apply(self, kind: str, values: tuple) -> None:
        if kind not in self.KINDS:
            raise ValueError(f"unknown row kind {kind!r}; one of {', '.join(self.KINDS)}")
        self.changes += 1
        values = tuple(values)
        if kind == "+I":
            self.rows.append(values)
        elif kind == "+U":
            self.updating = True
            at = self._updated_at
            self._updated_at = None
            if at is None or at > len(self.rows):
                self.rows.append(values)
            else:
                self.rows.insert(at, values)
        else:
            self.updating = True
            self._updated_at = None
            try:
                index = self.rows.index(values)
            except ValueError:
                return
            del self.rows[index]
            if kind == "-U":
                self._updated_at = index


# on_row(table, kind, values): called after each change is applied to the table.
RowCallback = Callable[[ResultTable, str, tuple], None]


@dataclass(frozen=True)
class SelectLimits:
    """When a SELECT's result stops being read (its job is then cancelled)."""

    max_rows: int | None = 20  # rows in the result table
    idle_timeout: float | None = 10.0  # seconds without a new change, once one came
    startup_timeout: float | None = 60.0  # seconds to wait for the first change
    timeout: float | None = None  # seconds in all
    on_row: RowCallback | None = None
    stop_on_interrupt: bool = False  # Ctrl-C stops reading and returns (the shell) or raises
    # Set by another thread to stop reading, as Ctrl-C does (the workspace's Stop button).
    stop: threading.Event | None = None

    def within(self, row_limit: int | None) -> SelectLimits:
        """These limits for a query whose own LIMIT says no more rows will come."""
        if row_limit is None or (self.max_rows is not None and self.max_rows <= row_limit):
            return self
        return replace(self, max_rows=row_limit)


# A SELECT in a script (`ccflink sql`, execute_script): at most 20 rows, 10 s without a new
# row (a minute for the first one), two minutes in all; a script never waits for ever.
SCRIPT_SELECT_LIMITS = SelectLimits(
    max_rows=20, idle_timeout=10.0, startup_timeout=60.0, timeout=120.0
)


def _deadline(
    limits: SelectLimits, started: float, last_change: float | None
) -> tuple[float | None, str]:
    """The earliest moment reading must stop, and which limit that is."""
    candidates = []
    if last_change is None and limits.startup_timeout is not None:
        candidates.append((started + limits.startup_timeout, "no-rows"))
    if last_change is not None and limits.idle_timeout is not None:
        candidates.append((last_change + limits.idle_timeout, "idle"))
    if limits.timeout is not None:
        candidates.append((started + limits.timeout, "timeout"))
    return min(candidates) if candidates else (None, "")


def _reason(stopped: str, limits: SelectLimits) -> str:
    if stopped == "limit":
        return f"stopped at the limit of {limits.max_rows} rows"
    if stopped == "idle":
        return f"stopped after {limits.idle_timeout:g} s without new rows"
    if stopped == "no-rows":
        return f"stopped: no rows within {limits.startup_timeout:g} s"
    if stopped == "timeout":
        return f"stopped at the time limit of {limits.timeout:g} s"
    if stopped == "stopped":
        return "stopped on request"
    return "stopped by Ctrl-C" if stopped == "interrupted" else "the query finished"


_END = object()

# What PyFlink 2.2 cannot hand to Python whole: a TIMESTAMP_LTZ value fails to pickle (a Java
# Instant), at any depth of ARRAY, MAP or ROW; a timestamp finer than milliseconds comes back
# cut to milliseconds.
_LOCAL_ZONE = re.compile(r"TIMESTAMP\((\d)\) WITH LOCAL TIME ZONE")
_FINE_TIMESTAMP = re.compile(r"^TIMESTAMP\(([4-9])\)( WITH LOCAL TIME ZONE)?( NOT NULL)?$")
_NOT_NULL = re.compile(r" NOT NULL\b")  # a CAST's target type takes no NOT NULL


def returned_as(sql_type: str) -> str | None:
    """The type a result column is cast to so that its values reach Python whole (None: as it
    is). A TIMESTAMP_LTZ becomes the TIMESTAMP it is in the session's time zone, as Confluent
    shows it; a timestamp finer than milliseconds becomes its text, digits kept."""
    if _FINE_TIMESTAMP.match(sql_type):
        return "STRING"
    if _LOCAL_ZONE.search(sql_type):
        return _NOT_NULL.sub("", _LOCAL_ZONE.sub(r"TIMESTAMP(\1)", sql_type))
    return None


def returnable(flink: FlinkEnvironment, query: str) -> str:
    """The query, its columns cast where `returned_as` says; unchanged when none needs it."""
    casts = [(name, returned_as(sql_type)) for name, sql_type in flink.result_types(query)]
    if all(cast is None for _, cast in casts):
        return query
    columns = ", ".join(
        f"CAST({quote_identifier(name)} AS {cast}) AS {quote_identifier(name)}"
        if cast
        else quote_identifier(name)
        for name, cast in casts
    )
    return f"SELECT {columns} FROM ({query})"


def _stop_reading(
    flink: FlinkEnvironment, job_id: str | None, iterator: Any, reader: threading.Thread
) -> None:
    """End the reader: cancel the job over REST and let the reader close its iterator.

    Without a job id, or when the reader does not end in time, the iterator is closed from
    here (closing it cancels the job), as the last resort.
    """
    if reader.is_alive() and job_id is not None:
        # A job that finished or failed has nothing left to cancel.
        with contextlib.suppress(Exception):
            flink.cancel_job(job_id)
        reader.join(timeout=10)
    if reader.is_alive():
        with contextlib.suppress(Exception):
            iterator.close()
        reader.join(timeout=10)


def run_query(
    flink: FlinkEnvironment, text: str, name: str, limits: SelectLimits, parallelism: int
) -> StatementResult:
    """Submit the query, read changes on a thread until a limit, cancel the job."""
    result = flink.start_query(name, returnable(flink, text), parallelism)
    client = result.get_job_client()
    job_id = str(client.get_job_id()) if client is not None else None
    table = ResultTable(list(result.get_resolved_schema().get_column_names()))
    # collect()'s hasNext() blocks inside the JVM. Only the reader thread touches the iterator:
    # to stop, this thread cancels the job over REST (`FlinkEnvironment.cancel_job` says why
    # not through py4j), the reader's hasNext() then returns or fails, and the reader closes it.
    iterator = result.collect()
    changes: queue.Queue = queue.Queue()
    done = threading.Event()

    def read() -> None:
        try:
            for row in iterator:
                if done.is_set():
                    break
                changes.put((str(row.get_row_kind()), tuple(row)))
        except Exception as error:
            if not done.is_set():
                changes.put(error)
        finally:
            with contextlib.suppress(Exception):
                iterator.close()
            changes.put(_END)

    reader = threading.Thread(target=read, name=f"select-{name}", daemon=True)
    started = time.monotonic()
    last_change: float | None = None
    stopped = "finished"
    reader.start()
    try:
        while True:
            if (
                limits.max_rows is not None
                and len(table.rows) >= limits.max_rows
                and not table.pending_update
            ):
                stopped = "limit"
                break
            if limits.stop is not None and limits.stop.is_set():
                stopped = "stopped"
                break
            deadline, why = _deadline(limits, started, last_change)
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                stopped = why
                break
            try:
                item = changes.get(timeout=0.5 if deadline is None else min(0.5, deadline - now))
            except queue.Empty:
                continue
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            kind, values = item
            table.apply(kind, values)
            last_change = time.monotonic()
            if limits.on_row is not None:
                limits.on_row(table, kind, values)
    except KeyboardInterrupt:
        if not limits.stop_on_interrupt:
            raise
        stopped = "interrupted"
    finally:
        done.set()
        _stop_reading(flink, job_id, iterator, reader)
    selected = StatementResult(
        "SELECT",
        "",
        job_id,
        table.columns,
        list(table.rows),
        query=QueryEnd(table.changes, table.updating, stopped, _reason(stopped, limits)),
    )
    return replace(selected, message=f"SELECT: {selected.summary()}")
