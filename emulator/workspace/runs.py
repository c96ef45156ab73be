"""Cells run through one statement-engine session, one run at a time, as a workspace runs them.

A run is a cell: its statements run in order through `Session.execute` (the one entry every
front end calls), on one worker thread, since a session's SET options and names are the
session's. A SELECT's changelog comes in as it is read (`SelectLimits.on_row`), so the page
shows rows as they arrive, and the run's Stop ends its reading (`SelectLimits.stop`), as
Ctrl-C does in the shell. A failed statement stops its cell; its error names the line and
column in the cell, as the CLI names them in a file.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from common.errors import CcflinkError
from emulator.dialect.splitter import Statement, split_statements
from emulator.sql.query import ResultTable, SelectLimits
from emulator.sql.result import StatementResult, cell
from emulator.sql.statements import new_statement_name

log = logging.getLogger(__name__)

# A SELECT in the workspace reads until Stop, as on Confluent's Console, up to this many rows.
MAX_ROWS = 1000
# The changelog rows a run keeps for the page (the table holds the current rows in all).
CHANGES_KEPT = 2000

QUEUED, RUNNING, COMPLETED, FAILED, STOPPED = "QUEUED", "RUNNING", "COMPLETED", "FAILED", "STOPPED"


class Engine(Protocol):
    """What a run needs of `emulator.sql.session.Session`."""

    select_limits: SelectLimits
    context: Any

    def execute(self, statement: Statement, source: str, index: int) -> StatementResult: ...

    def resume(self, name: str) -> Any: ...


@dataclass
class Output:
    """One statement of a cell: its name, status and what it returned (rows as text)."""

    name: str
    status: str = RUNNING
    kind: str = ""
    message: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    changes: list[list[str]] = field(default_factory=list)  # [op, value, ...]
    changes_total: int = 0


@dataclass
class Run:
    id: int
    cell: str
    resume: str | None = None  # a stopped statement to resume instead of the cell
    status: str = QUEUED
    outputs: list[Output] = field(default_factory=list)
    error: dict[str, Any] | None = None  # message, line, column (in the cell)
    notes: list[str] = field(default_factory=list)  # what the engine said as it ran
    stop: threading.Event = field(default_factory=threading.Event)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "outputs": [vars(output).copy() for output in self.outputs],
            "error": self.error,
            "notes": list(self.notes),
        }


def _text(values: tuple) -> list[str]:
    return [cell(value) for value in values]


class Runner:
    """Runs cells in order on one worker thread over a session made on first use."""

    def __init__(self, open_session: Callable[[Callable[[str], None]], Engine]) -> None:
        self._open_session = open_session
        # Names this runner's runs apart from another server's: a page restoring its cells
        # after a reload follows run ids only from the runner that gave them.
        self.id = uuid.uuid4().hex
        self._session: Engine | None = None
        self._runs: dict[int, Run] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._queue: queue.Queue[Run] = queue.Queue()
        self._current: Run | None = None
        threading.Thread(target=self._work, name="workspace-runs", daemon=True).start()

    def submit(self, cell_text: str, resume: str | None = None) -> Run:
        with self._lock:
            run = Run(next(self._ids), cell_text, resume)
            self._runs[run.id] = run
        self._queue.put(run)
        return run

    def submit_resume(self, name: str) -> Run:
        """Resume a stopped statement (`Session.resume`), in turn with the cells."""
        return self.submit(f"-- resume {name}", resume=name)

    def get(self, run_id: int) -> Run | None:
        return self._runs.get(run_id)

    def snapshot(self, run: Run) -> dict[str, Any]:
        with self._lock:
            return run.as_json()

    def stop(self, run: Run) -> None:
        """Stop a run: a queued one does not start, a running SELECT stops reading."""
        run.stop.set()

    def _work(self) -> None:
        while True:
            run = self._queue.get()
            if run.stop.is_set():
                with self._lock:
                    run.status = STOPPED
                continue
            with self._lock:
                run.status = RUNNING
            try:
                self._run(run)
            except Exception as error:  # a bug: the run says so, the worker goes on
                log.exception("run %d failed", run.id)
                self._fail(run, f"internal error: {type(error).__name__}: {error}", 1, 1)

    def _say(self, run: Run) -> Callable[[str], None]:
        def say(message: str) -> None:
            with self._lock:
                run.notes.append(message)

        return say

    def _run(self, run: Run) -> None:
        try:
            statements = split_statements(run.cell)
            if self._session is None:
                self._session = self._open_session(self._say(run))
        except CcflinkError as error:
            self._fail(run, str(error), 1, 1)
            return
        session = self._session
        if run.resume is not None:
            self._resume(run, session)
            return
        for index, statement in enumerate(statements, start=1):
            if run.stop.is_set():
                break
            # Named before it runs, so a SELECT's rows arrive under its name.
            name = session.context.next_name or new_statement_name()
            session.context.next_name = name
            output = Output(name)
            with self._lock:
                run.outputs.append(output)
            session.select_limits = SelectLimits(
                max_rows=MAX_ROWS,
                idle_timeout=None,
                startup_timeout=None,
                timeout=None,
                on_row=self._on_row(output),
                stop=run.stop,
            )
            session.context.say = self._say(run)
            try:
                result = session.execute(statement, "cell", index)
            except CcflinkError as error:
                with self._lock:
                    output.status = FAILED
                self._fail(run, str(error), statement.line, statement.column)
                return
            self._finish(output, result)
        with self._lock:
            run.status = STOPPED if run.stop.is_set() else COMPLETED

    def _resume(self, run: Run, session: Engine) -> None:
        output = Output(run.resume or "")
        with self._lock:
            run.outputs.append(output)
        try:
            entry = session.resume(output.name)
        except CcflinkError as error:
            with self._lock:
                output.status = FAILED
            self._fail(run, str(error), 1, 1)
            return
        with self._lock:
            output.status, output.message = entry.status, entry.detail or ""
            run.status = COMPLETED

    def _on_row(self, output: Output) -> Callable[[ResultTable, str, tuple], None]:
        def on_row(table: ResultTable, kind: str, values: tuple) -> None:
            with self._lock:
                output.kind, output.columns = "SELECT", list(table.columns)
                output.rows = [_text(row) for row in table.rows]
                output.changes.append([kind, *_text(values)])
                del output.changes[:-CHANGES_KEPT]
                output.changes_total += 1

        return on_row

    def _finish(self, output: Output, result: StatementResult) -> None:
        with self._lock:
            output.name = result.name or output.name
            output.status = RUNNING if result.job_id else COMPLETED
            output.kind, output.message = result.kind, result.message
            output.columns = list(result.columns)
            output.rows = [_text(row) for row in result.rows]

    def _fail(self, run: Run, message: str, line: int, column: int) -> None:
        with self._lock:
            run.status = FAILED
            run.error = {"message": message, "line": line, "column": column}
