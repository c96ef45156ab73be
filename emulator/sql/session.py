"""A Confluent Cloud Flink SQL session on the local compute pool (the Flink session cluster).

Statements run one by one as on Confluent: CREATE TABLE provisions a topic and its subjects,
CTAS and INSERT become long-running jobs on the cluster (they keep running after this process
exits), CREATE MODEL adds a model version, and ML_PREDICT calls become a table function bound
to that version's endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from confluent_kafka import KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError

from common.errors import CcflinkError
from emulator import inferred_tables
from emulator.catalog import Catalog, StatementRecord
from emulator.config import Settings
from emulator.dialect.parse import Query, parse_statement, statement_kind
from emulator.dialect.secrets import mask_secrets
from emulator.dialect.splitter import Statement, split_statements
from emulator.dialect.statements import SetOption
from emulator.dialect.text import DialectError
from emulator.flink.rest import FlinkRest
from emulator.kafka import broker
from emulator.kafka.login import check_login
from emulator.process import ServiceError
from emulator.sql import predict, statements
from emulator.sql.context import Context
from emulator.sql.environment import FlinkEnvironment, flink_detail, is_flink_error
from emulator.sql.errors import StatementError
from emulator.sql.executors import EXECUTORS
from emulator.sql.query import RowCallback, SelectLimits, run_query
from emulator.sql.result import StatementResult
from emulator.sql.statements import StatementStateError

# Failures of the services a statement talks to (broker, registry, endpoint): an outage to
# report, not a bug in ccflink.
SERVICE_ERRORS = (OSError, KafkaException, SchemaRegistryError)


def _first_line(text: str) -> str:
    """The statement on one line for an error, secrets masked before it is cut."""
    line = " ".join(mask_secrets(text).split())
    return line if len(line) <= 80 else line[:77] + "..."


class Session:
    """One entry for statements: parse, run the executor for the statement's kind, record."""

    def __init__(
        self, settings: Settings, say: Callable[[str], None] = print, *, ml_batch_size: int = 1
    ) -> None:
        if settings.profile is not None:  # another cluster: fail early on a wrong key
            check_login(settings.bootstrap_servers, settings.kafka_security)
        elif not broker.is_ready(settings):  # in seconds, not after a client's 30 s timeout
            raise ServiceError(
                f"the local stack is not running: Kafka does not answer at "
                f"{settings.bootstrap_servers}. Start it with `make up` (or `ccflink up`); "
                "`ccflink status` shows what runs."
            )
        catalog = Catalog.for_state(settings.state_dir)
        self.context = Context(
            settings=settings,
            catalog=catalog,
            flink=FlinkEnvironment(settings),
            say=say,
            ml_batch_size=predict.parse_batch_size(ml_batch_size),
        )
        inferred_tables.add_to_catalog(settings, catalog, say)
        for table in catalog.tables.values():
            self.context.define(table)

    def _catch_up(self) -> None:
        """Take in what other ccflink processes wrote to the catalog since (a connection made
        with `ccflink flink connection create` while the workspace is open, a table another
        session created or dropped): Flink's copy of each changed table follows."""
        changed = self.context.catalog.refresh()
        for name in sorted(changed["tables"]):
            table = self.context.catalog.tables.get(name)
            if table is None:
                self.context.flink.drop(name)
            else:
                self.context.define(table, replace=True)

    @property
    def select_limits(self) -> SelectLimits:
        """How a SELECT in a script or the shell is read; the shell sets its own."""
        return self.context.select_limits

    @select_limits.setter
    def select_limits(self, limits: SelectLimits) -> None:
        self.context.select_limits = limits

    # --- scripts ------------------------------------------------------------------------------

    def run_script(self, script: str, source: str = "<sql>") -> Iterator[StatementResult]:
        """Run statement by statement, each result as it comes; the first failure stops it."""
        for index, statement in enumerate(split_statements(script), start=1):
            yield self.execute(statement, source, index)

    def execute_script(self, script: str, source: str = "<sql>") -> list[StatementResult]:
        return list(self.run_script(script, source))

    def execute_file(self, path: Path) -> list[StatementResult]:
        return self.execute_script(path.read_text(), source=str(path))

    def execute(
        self, statement: Statement, source: str = "<sql>", index: int = 1
    ) -> StatementResult:
        """Run one statement; StatementError names where it is in the script and why."""
        context = self.context
        self._catch_up()
        name = context.next_name or statements.new_statement_name()
        context.next_name = None
        context.parallelism = 1
        where = f"{source}:{statement.line}:{statement.column}: statement {index}"
        try:
            parsed = parse_statement(statement.text)
            result = EXECUTORS[statement_kind(parsed)](context, parsed, name)
        except Exception as error:
            detail, origin = self._explain(error)
            statements.record(context.catalog, name, statement.text, "FAILED", detail=detail)
            if origin is None:
                raise
            prefix = "" if origin == "" else f"{origin}: "
            raise StatementError(
                f"{where}: {_first_line(statement.text)}\n  {prefix}{detail}"
            ) from None
        status = "RUNNING" if result.job_id else "COMPLETED"
        statements.record(
            context.catalog,
            name,
            statement.text,
            status,
            job_id=result.job_id,
            options=context.options if result.job_id else None,
        )
        return replace(result, name=name)

    def resume(self, name: str) -> StatementRecord:
        """Continue a stopped statement from its savepoint (Confluent's `statement resume`), or
        bring back one whose job the cluster lost from its retained checkpoint.

        Its SQL runs again with the SET options it was submitted with and the same name (so
        its Kafka transactions, named after it, are the ones its last run left); Flink
        restores every operator's state, the source offsets with it. A statement that never
        completed a checkpoint has none: it committed nothing (its writes commit at
        checkpoints), so it starts again from the beginning of its input, and no reader of
        committed records sees a row twice.
        """
        context = self.context
        entry = statements.get(context.catalog, name)
        running = entry.status in statements.LIVE and statements.job_running(
            FlinkRest(context.settings.flink_rest_url), entry
        )
        if entry.status != "STOPPED" and (entry.status not in statements.LIVE or running):
            raise StatementStateError(
                f"statement {name!r} is {entry.status}: only a stopped statement can be resumed"
            )
        restore = statements.restore_point(context.settings, entry)
        for key, value in entry.options.items():
            EXECUTORS["SET"](context, SetOption(key, value), name)
        context.parallelism, context.resuming, context.restore_from = 1, True, restore
        try:
            parsed = parse_statement(entry.sql)
            result = EXECUTORS[statement_kind(parsed)](context, parsed, name)
        except Exception as error:
            detail, origin = self._explain(error)
            if origin is None:
                raise
            where = restore or "the beginning of its input"
            raise StatementError(f"resuming {name!r} from {where}\n  {detail}") from None
        finally:
            context.resuming, context.restore_from = False, None
        entry.job_id, entry.status, entry.restore_point = result.job_id, "RUNNING", None
        entry.detail = (
            f"Resumed from {restore}"
            if restore
            else "Started again from the beginning of its input: it had completed no "
            "checkpoint, so it had committed nothing"
        )
        context.catalog.save()
        return entry

    def _explain(self, error: Exception) -> tuple[str, str | None]:
        """What to say about a failure, and where it came from (None: a bug, re-raised)."""
        if isinstance(error, CcflinkError):
            return str(error), ""
        if is_flink_error(error):
            return predict.explain(self.context, flink_detail(str(error))).strip(), "Flink"
        if isinstance(error, SERVICE_ERRORS):
            return str(error), type(error).__name__
        return f"{type(error).__name__}: {error}", None

    # --- SELECT -------------------------------------------------------------------------------

    def select(
        self,
        sql: str,
        *,
        max_rows: int | None = None,
        idle_timeout: float | None = 10.0,
        startup_timeout: float | None = 60.0,
        timeout: float | None = None,
        on_row: RowCallback | None = None,
        stop_on_interrupt: bool = False,
    ) -> StatementResult:
        """Run a query (Confluent dialect) and read its changelog into a result table.

        Reading stops at `max_rows` rows in the table, after `idle_timeout` seconds without a
        change (`startup_timeout` for the first one), after `timeout` seconds in all, or when a
        bounded query ends; the job is then cancelled. `on_row(table, kind, values)` sees each
        change as it is applied. Errors raise StatementError.
        """
        sql = sql.strip().rstrip(";").strip()
        limits = SelectLimits(
            max_rows, idle_timeout, startup_timeout, timeout, on_row, stop_on_interrupt
        )
        self.context.parallelism = 1
        self._catch_up()
        try:
            parsed = parse_statement(sql)
            if not isinstance(parsed, Query):
                raise DialectError(
                    "select() runs SELECT, WITH or VALUES; other statements go to execute_script"
                )
            text = predict.rewrite(self.context, parsed.text)
            return run_query(
                self.context.flink,
                text,
                statements.new_statement_name(),
                limits.within(parsed.row_limit),
                self.context.parallelism,
            )
        except Exception as error:
            detail, origin = self._explain(error)
            if origin is None:
                raise
            prefix = "" if origin == "" else f"{origin}: "
            raise StatementError(f"{_first_line(sql)}\n  {prefix}{detail}") from None
