"""A Confluent Cloud Flink SQL session on the local compute pool (the Flink session cluster).

Statements run one by one as on Confluent: CREATE TABLE provisions a topic and its subjects,
CTAS and INSERT become long-running jobs on the cluster (they keep running after this process
exits), CREATE MODEL adds a model version, and ML_PREDICT calls become a table function bound
to that version's endpoint.
"""

from __future__ import annotations

import contextlib
import copy
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from pyflink.table import EnvironmentSettings, TableEnvironment

from emulator import catalog_commands, inferred_tables, tables
from emulator.catalog import Catalog, Model, ModelVersion, StatementRecord
from emulator.config import Settings
from emulator.dialect.catalog_statements import parse_catalog_statement
from emulator.dialect.refusals import refusal
from emulator.dialect.rewrite import PredictCall, ResolvedPredict, rewrite_expressions
from emulator.dialect.splitter import Statement, split_statements
from emulator.dialect.statements import (
    ColumnDef,
    CreateModel,
    CreateTable,
    Passthrough,
    SetOption,
    parse,
)
from emulator.dialect.text import DialectError, quote_identifier
from emulator.flink.cluster import connector_jars
from emulator.kafka.login import check_login
from pyflink_jobs.ml_formats import ModelCodec
from pyflink_jobs.ml_predict import (
    Endpoint,
    PredictSettings,
    batch_predict_function,
    predict_function,
)

# Python functions must run in the TaskManager's own Python workers, not inside this client
# (PyFlink's "loopback" mode), or every job dies when the submitting process exits.
os.environ["_python_worker_execution_mode"] = "process"  # noqa: SIM112 (PyFlink's spelling)

MAX_MODEL_VERSIONS = 10
# Users report Confluent Cloud failing ML_PREDICT calls above this many arguments (unconfirmed).
CONFLUENT_REPORTED_MAX_ARGUMENTS = 85

# Session defaults Confluent Cloud sets (see the dialect reference, section 0).
CONFLUENT_SESSION_DEFAULTS = {
    "table.local-time-zone": "UTC",
    "table.dynamic-table-options.enabled": "false",
    "table.exec.sink.rowtime-inserter": "DISABLED",
    "table.optimizer.non-deterministic-update.strategy": "TRY_RESOLVE",
    "table.column-expansion-strategy": (
        "EXCLUDE_DEFAULT_VIRTUAL_METADATA_COLUMNS;EXCLUDE_ALIASED_VIRTUAL_METADATA_COLUMNS"
    ),
    "table.exec.source.idle-timeout": "15 s",
}

# Confluent's `sql.*` options and the Flink keys they stand for.
SQL_OPTION_KEYS = {
    "sql.local-time-zone": "table.local-time-zone",
    "sql.state-ttl": "table.exec.state.ttl",
    "sql.tables.scan.idle-timeout": "table.exec.source.idle-timeout",
}


# The local batching extension: rows per ML_PREDICT request. 1 (the default) is Confluent's
# behaviour; more needs a model whose formats take several rows (see ModelCodec).
ML_BATCH_SIZE_OPTION = "ccflink.ml-predict.batch-size"


def parse_batch_size(value: str | int) -> int:
    """A batch size as given to SET or `--ml-batch-size`; refuses what is not a count."""
    try:
        size = int(value)
    except ValueError:
        size = 0
    if size < 1:
        raise DialectError(
            f"{ML_BATCH_SIZE_OPTION} must be a whole number of rows >= 1, not {value!r}"
        )
    return size


# Concurrent ML_PREDICT requests per statement come from parallel subtasks of the scoring
# job (each sends one request at a time), capped so a statement cannot take every task slot.
MAX_PREDICT_PARALLELISM = 4


def predict_parallelism(config: dict[str, str]) -> int:
    """Confluent's max_parallelism (default 10) as subtasks; async_enabled false means 1."""
    if config.get("async_enabled", "true").lower() == "false":
        return 1
    return max(1, min(int(config.get("max_parallelism", 10)), MAX_PREDICT_PARALLELISM))


class StatementError(RuntimeError):
    """A statement failed; the message names where it is in the script and why."""


@dataclass(frozen=True)
class StatementResult:
    statement: str
    message: str
    job_id: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)


def statement_name() -> str:
    """A name like the `confluent` CLI gives statements it submits."""
    return f"cli-{datetime.now(UTC):%Y-%m-%d-%H%M%S}-{uuid.uuid4().hex[:8]}"


def format_rows(columns: list[str], rows: list[tuple]) -> str:
    """A plain text table, as the Flink SQL client prints results."""
    cells = [[str(c) for c in columns]] + [["" if v is None else str(v) for v in r] for r in rows]
    if any("\n" in cell for row in cells for cell in row):
        return "\n".join(cell for row in cells[1:] for cell in row)
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


# --- SELECT results -----------------------------------------------------------------------------

# A query that returns rows to the client rather than writing a table.
_QUERY = re.compile(r"(?is)^[\s(]*(SELECT|WITH|VALUES)\b")


def is_query(sql: str) -> bool:
    """SELECT, WITH ... SELECT and VALUES (possibly in parentheses) return rows."""
    return bool(_QUERY.match(sql))


class ResultTable:
    """A query's result as Confluent's workspace shows it, built from Flink's changelog.

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


# A SELECT in a script (`ccflink sql`, execute_script): at most 20 rows, 10 s without a new
# row (a minute for the first one), two minutes in all; a script never waits for ever.
SCRIPT_SELECT_LIMITS = SelectLimits(
    max_rows=20, idle_timeout=10.0, startup_timeout=60.0, timeout=120.0
)


@dataclass(frozen=True)
class SelectResult:
    columns: list[str]
    rows: list[tuple]
    changes: int  # changelog rows read (+I, -U, +U, -D)
    updating: bool  # an updating query (its changelog had -U, +U or -D), not append-only
    stopped: str  # why reading stopped: limit, idle, no-rows, timeout, finished, interrupted
    reason: str  # the same, said for people
    job_id: str | None = None

    def summary(self) -> str:
        count = f"{len(self.rows)} row" + ("" if len(self.rows) == 1 else "s")
        if self.updating:
            count += f" ({self.changes} changes applied)"
        text = f"{count}; {self.reason}"
        if self.stopped != "finished" and self.job_id:
            text += f", job {self.job_id} cancelled"
        return text


def _select_deadline(
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


def _select_reason(stopped: str, limits: SelectLimits) -> str:
    if stopped == "limit":
        return f"stopped at the limit of {limits.max_rows} rows"
    if stopped == "idle":
        return f"stopped after {limits.idle_timeout:g} s without new rows"
    if stopped == "no-rows":
        return f"stopped: no rows within {limits.startup_timeout:g} s"
    if stopped == "timeout":
        return f"stopped at the time limit of {limits.timeout:g} s"
    return "stopped by Ctrl-C" if stopped == "interrupted" else "the query finished"


_END = object()


def _first_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 80 else line[:77] + "..."


def _flink_detail(message: str) -> str:
    """The meaningful part of a Py4J error: the exception line and what it goes on to say."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "Exception:" in line), 0)
    detail = lines[start : start + 1]
    for line in lines[start + 1 : start + 6]:
        if line.startswith(("at ", "Caused by")):
            break
        detail.append(line)
    return " ".join(detail)[:1500] if detail else "unknown error"


def _column_type(type_text: str) -> tuple[str, bool]:
    """Flink's printed type without time-attribute markers, and whether it is nullable."""
    cleaned = re.sub(r"\s*\*(ROWTIME|PROCTIME)\*", "", type_text).strip()
    nullable = not cleaned.endswith("NOT NULL")
    return cleaned.removesuffix("NOT NULL").strip(), nullable


class ConfluentSession:
    def __init__(
        self, settings: Settings, say: Callable[[str], None] = print, *, ml_batch_size: int = 1
    ) -> None:
        self.settings = settings
        self.say = say
        self.ml_batch_size = parse_batch_size(ml_batch_size)
        if settings.profile is not None:  # another cluster: fail early on a wrong key
            check_login(settings.bootstrap_servers, settings.kafka_security)
        self.catalog = Catalog.for_state(settings.state_dir)
        self.t_env = self._create_environment()
        self._functions = 0
        self._next_name: str | None = None
        self._predict_functions: dict[str, ModelVersion] = {}
        self._statement_parallelism = 1
        # `SET 'sql.tables.scan.*'`: scan options for the tables of statements from now on.
        self._scan_overrides: dict[str, str] = {}
        inferred_tables.add_to_catalog(settings, self.catalog, say)
        for table in self.catalog.tables.values():
            self._define(table)

    def _define(self, table: tables.TableEntry, *, replace: bool = False) -> None:
        """(Re)declare a catalog table to this session's Flink environment."""
        if replace:
            self.t_env.execute_sql(f"DROP TABLE IF EXISTS {quote_identifier(table.name)}")
        self.t_env.execute_sql(tables.flink_ddl(self.settings, table, self._scan_overrides))

    def _create_environment(self) -> TableEnvironment:
        t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
        config = t_env.get_config()
        config.set("execution.target", "remote")
        rest = urlsplit(self.settings.flink_rest_url)  # this stack's, or the profile's
        config.set("rest.address", rest.hostname or self.settings.host)
        config.set("rest.port", str(rest.port or 8081))
        config.set("pipeline.jars", ";".join(p.as_uri() for p in connector_jars(self.settings)))
        config.set("python.executable", self.settings.python)
        # One slot per statement: the client's default would be this machine's core count.
        config.set("parallelism.default", "1")
        # Chained operators hand records over without a defensive copy: Flink's SQL operators
        # do not hold on to a record they passed on. A copy per record per operator saved;
        # BENCHMARKS.md has the effect on the pipeline.
        config.set("pipeline.object-reuse", "true")
        for key, value in CONFLUENT_SESSION_DEFAULTS.items():
            config.set(key, value)
        return t_env

    # --- scripts ------------------------------------------------------------------------------

    def execute_file(self, path: Path) -> list[StatementResult]:
        return self.execute_script(path.read_text(), source=str(path))

    def execute_script(self, script: str, source: str = "<sql>") -> list[StatementResult]:
        """Run statement by statement; the first failure stops the script (StatementError)."""
        results = []
        for index, statement in enumerate(split_statements(script), start=1):
            results.append(self.execute(statement, source, index))
        return results

    def execute(
        self, statement: Statement, source: str = "<sql>", index: int = 1
    ) -> StatementResult:
        name = self._next_name or statement_name()
        self._next_name = None
        self._statement_parallelism = 1
        where = f"{source}:{statement.line}:{statement.column}: statement {index}"
        try:
            result = self._dispatch(statement.text, name)
        except (DialectError, KeyError, ValueError) as error:
            self._record(name, statement.text, "FAILED", detail=str(error))
            raise StatementError(f"{where}: {_first_line(statement.text)}\n  {error}") from None
        except Exception as error:  # Flink's own errors arrive as Py4J exceptions
            detail = self._explain_predict(_flink_detail(str(error)))
            origin = "Flink" if type(error).__module__.startswith("py4j") else type(error).__name__
            self._record(name, statement.text, "FAILED", detail=detail.strip())
            raise StatementError(
                f"{where}: {_first_line(statement.text)}\n  {origin}: {detail.strip()}"
            ) from None
        status = "RUNNING" if result.job_id else "COMPLETED"
        self._record(name, statement.text, status, job_id=result.job_id)
        self.say(f"  [{name}] {result.message}")
        if result.columns and not result.message.startswith("CREATE "):
            self.say(format_rows(result.columns, result.rows))
        return result

    def _record(
        self,
        name: str,
        sql: str,
        status: str,
        job_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        self.catalog.statements[name] = StatementRecord(
            name=name,
            sql=sql,
            status=status,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            job_id=job_id,
            detail=detail,
        )
        self.catalog.save()

    def _dispatch(self, text: str, name: str) -> StatementResult:
        refused = refusal(text)
        if refused is not None:
            raise DialectError(refused)
        catalog_statement = parse_catalog_statement(text.strip().rstrip(";").strip())
        if catalog_statement is not None:
            return self._catalog_command(catalog_statement)
        parsed = parse(text)
        if isinstance(parsed, CreateTable):
            if parsed.query is not None:
                return self._create_table_as(parsed, name)
            return self._create_table(parsed)
        if isinstance(parsed, CreateModel):
            return self._create_model(parsed)
        if isinstance(parsed, SetOption):
            return self._set(parsed)
        return self._passthrough(parsed, name)

    def _catalog_command(self, statement) -> StatementResult:
        before = copy.deepcopy(self.catalog.tables)
        result = catalog_commands.execute(self.settings, self.catalog, statement)
        if result.dropped_table:
            self.t_env.execute_sql(f"DROP TABLE IF EXISTS `{result.dropped_table}`")
        if result.changed_table:
            self._redefine(result.changed_table, before[result.changed_table])
        return StatementResult(
            type(statement).__name__.lower(), result.message, None, result.columns, result.rows
        )

    def _redefine(self, name: str, previous: tables.TableEntry) -> None:
        """Declare an altered table to Flink; if Flink refuses it, the table stays as it was."""
        try:
            self._define(self.catalog.tables[name], replace=True)
        except Exception:
            self.catalog.tables[name] = previous
            self.catalog.save()
            self._define(previous, replace=True)
            raise
        self.catalog.tables[name] = self._with_computed_types(self.catalog.tables[name])
        self.catalog.save()

    # --- statements ---------------------------------------------------------------------------

    def _exists(self, statement: CreateTable) -> StatementResult | None:
        if statement.name not in self.catalog.tables:
            return None
        if statement.if_not_exists:
            return StatementResult(f"create-{statement.name}", "exists already; skipped")
        raise DialectError(
            f"Table '{statement.name}' already exists. "
            "Use CREATE TABLE IF NOT EXISTS, or DROP TABLE it first."
        )

    def _register(self, entry: tables.TableEntry) -> None:
        ddl = tables.flink_ddl(self.settings, entry, self._scan_overrides)  # refuses first
        tables.provision(self.settings, entry)
        self.t_env.execute_sql(ddl)
        self.catalog.tables[entry.name] = self._with_computed_types(entry)
        self.catalog.save()

    def _with_computed_types(self, entry: tables.TableEntry) -> tables.TableEntry:
        """Computed columns get the type Flink derives for them, for DESCRIBE."""
        if all(c.expression is None for c in entry.columns):
            return entry
        resolved = self.t_env.from_path(quote_identifier(entry.name))._j_table.getResolvedSchema()
        types = {
            c.getName(): _column_type(c.getDataType().toString()) for c in resolved.getColumns()
        }
        columns = [
            replace(c, type=types[c.name][0], nullable=types[c.name][1])
            if c.expression is not None
            else c
            for c in entry.columns
        ]
        return replace(entry, columns=columns)

    def _create_table(self, statement: CreateTable) -> StatementResult:
        skipped = self._exists(statement)
        if skipped:
            return skipped
        entry = tables.table_entry(statement)
        self._register(entry)
        return StatementResult(
            f"create-{entry.name}",
            f"table `{entry.name}` created: topic with {entry.partitions} partitions, "
            f"subjects {entry.name}-value"
            + (f", {entry.name}-key" if tables.key_schema(entry) is not None else ""),
        )

    def _create_table_as(self, statement: CreateTable, name: str) -> StatementResult:
        skipped = self._exists(statement)
        if skipped:
            return skipped
        query = self._rewrite(statement.query or "")
        resolved = self.t_env.sql_query(query)._j_table.getResolvedSchema()
        columns = []
        for column in resolved.getColumns():
            type_text, nullable = _column_type(column.getDataType().toString())
            columns.append(ColumnDef(column.getName(), type_text, nullable))
        entry = tables.table_entry(statement, columns)
        self._register(entry)
        job_id = self._submit(name, f"INSERT INTO `{entry.name}` {query}")
        return StatementResult(
            f"ctas-{entry.name}",
            f"table `{entry.name}` created; continuous query running as job {job_id}",
            job_id,
        )

    def _create_model(self, statement: CreateModel) -> StatementResult:
        provider = statement.options.get("provider", "").lower()
        if provider != "azureml":
            raise DialectError(
                f"provider {provider or '(none)'!r}: the emulator hosts Azure ML endpoints only; "
                "use 'provider' = 'azureml'"
            )
        if "task" not in statement.options:
            raise DialectError("CREATE MODEL needs 'task' (e.g. 'classification')")
        model = self.catalog.models.get(statement.name)
        if model is not None and statement.if_not_exists:
            return StatementResult(f"model-{statement.name}", "exists already; skipped")
        if model is None:
            model = Model(statement.name)
        version = max((v.version for v in model.versions), default=0) + 1
        if version > MAX_MODEL_VERSIONS:
            raise DialectError(f"model `{statement.name}` has {MAX_MODEL_VERSIONS} versions")
        entry = ModelVersion(
            statement.name,
            version,
            statement.inputs,
            statement.outputs,
            statement.options,
            statement.comment,
        )
        if model.versions and (
            model.versions[0].inputs != entry.inputs or model.versions[0].outputs != entry.outputs
        ):
            raise DialectError(
                f"a new version of `{statement.name}` must keep its INPUT and OUTPUT; "
                "only the WITH options change between versions"
            )
        # Refuse an unusable endpoint, format or input type now, not on the first row.
        self._endpoint(entry)
        self._codec(entry)
        model.versions.append(entry)
        self.catalog.models[statement.name] = model
        self.catalog.save()
        return StatementResult(
            f"model-{statement.name}",
            f"`{statement.name}` with version {version} created. "
            f"Default version: {model.default_version}",
        )

    def _set(self, statement: SetOption) -> StatementResult:
        if statement.key == "client.statement-name":
            self._next_name = statement.value
            return StatementResult("set", f"the next statement is named {statement.value!r}")
        if statement.key == ML_BATCH_SIZE_OPTION:
            self.ml_batch_size = parse_batch_size(statement.value)
            return StatementResult("set", f"{statement.key} = {self.ml_batch_size}")
        scan_option = statement.key.removeprefix("sql.tables.")
        if scan_option in tables.SCAN_OPTIONS:
            self._scan_overrides[scan_option] = statement.value
            for table in self.catalog.tables.values():
                self._define(table, replace=True)
            return StatementResult("set", f"{statement.key} = {statement.value}")
        key = SQL_OPTION_KEYS.get(statement.key, statement.key)
        if key.startswith("sql."):
            raise DialectError(f"option {statement.key!r} is not emulated")
        self.t_env.get_config().set(key, statement.value)
        return StatementResult("set", f"{statement.key} = {statement.value}")

    def _passthrough(self, statement: Passthrough, name: str) -> StatementResult:
        text = self._rewrite(statement.text)
        if re.match(r"(?is)^(INSERT|EXECUTE)\b", text):
            job_id = self._submit(name, text)
            return StatementResult("insert", f"running as job {job_id}", job_id)
        if is_query(text):
            selected = self._select(text, name, self.select_limits)
            return StatementResult(
                "select", f"SELECT: {selected.summary()}", None, selected.columns, selected.rows
            )
        result = self.t_env.execute_sql(text)
        result.print()
        return StatementResult(text.split()[0].lower(), "done")

    # --- SELECT -------------------------------------------------------------------------------

    # How execute() and execute_script() read a SELECT; the shell sets its own on its session.
    select_limits: SelectLimits = SCRIPT_SELECT_LIMITS

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
    ) -> SelectResult:
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
        try:
            refused = refusal(sql)
            if refused is not None:
                raise DialectError(refused)
            if not is_query(sql):
                raise DialectError(
                    "select() runs SELECT, WITH or VALUES; other statements go to execute_script"
                )
            self._statement_parallelism = 1
            return self._select(self._rewrite(sql), statement_name(), limits)
        except (DialectError, KeyError, ValueError) as error:
            raise StatementError(f"{_first_line(sql)}\n  {error}") from None
        except Exception as error:
            if not type(error).__module__.startswith("py4j"):
                raise
            detail = self._explain_predict(_flink_detail(str(error)))
            raise StatementError(f"{_first_line(sql)}\n  Flink: {detail.strip()}") from None

    def _select(self, text: str, name: str, limits: SelectLimits) -> SelectResult:
        """Submit the query, read changes on a thread until a limit, cancel the job."""
        config = self.t_env.get_config()
        config.set("pipeline.name", name)
        config.set("parallelism.default", str(self._statement_parallelism))
        result = self.t_env.execute_sql(text)
        client = result.get_job_client()
        job_id = str(client.get_job_id()) if client is not None else None
        table = ResultTable(list(result.get_resolved_schema().get_column_names()))
        # collect()'s hasNext() blocks inside the JVM; a reader thread lets this one keep time
        # and take Ctrl-C, and closing the iterator cancels the job and ends the reader.
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
                deadline, why = _select_deadline(limits, started, last_change)
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    stopped = why
                    break
                try:
                    item = changes.get(
                        timeout=0.5 if deadline is None else min(0.5, deadline - now)
                    )
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
            # A finished or failed job has nothing left to cancel.
            with contextlib.suppress(Exception):
                iterator.close()
            reader.join(timeout=10)
        return SelectResult(
            columns=table.columns,
            rows=list(table.rows),
            changes=table.changes,
            updating=table.updating,
            stopped=stopped,
            reason=_select_reason(stopped, limits),
            job_id=job_id,
        )

    # --- helpers ------------------------------------------------------------------------------

    def _submit(self, name: str, sql: str) -> str:
        config = self.t_env.get_config()
        config.set("pipeline.name", name)
        config.set("parallelism.default", str(self._statement_parallelism))
        client = self.t_env.execute_sql(sql).get_job_client()
        return str(client.get_job_id()) if client is not None else "?"

    def _rewrite(self, sql: str) -> str:
        return rewrite_expressions(sql, self._resolve_predict)

    def _endpoint(self, version: ModelVersion) -> Endpoint:
        options = version.options
        connection_name = options.get("azureml.connection")
        if connection_name:
            connection = self.catalog.connections.get(connection_name)
            if connection is None:
                raise DialectError(
                    f"connection {connection_name!r} does not exist; create it with "
                    "CREATE CONNECTION or `ccflink flink connection create`"
                )
            url, key = connection.endpoint, connection.api_key
        elif "azureml.endpoint" in options and "azureml.api_key" in options:
            url, key = options["azureml.endpoint"], options["azureml.api_key"]
        else:
            raise DialectError(
                f"model `{version.name}` needs 'azureml.connection' "
                "(or 'azureml.endpoint' with 'azureml.api_key')"
            )
        return Endpoint(
            url=url,
            api_key=key,
            deployment=options.get("azureml.deployment_name"),
            timeout_seconds=float(options.get("azureml.client_timeout", 30)),
        )

    def _explain_predict(self, detail: str) -> str:
        """Say which model's INPUT an ML_PREDICT call did not match, not our function name."""
        match = re.search(r"Invalid function call:\s*(ML_PREDICT_\w+)\(([^)]*)\)", detail)
        if not match or match.group(1) not in self._predict_functions:
            return detail
        version = self._predict_functions[match.group(1)]
        expected = ", ".join(f"{c.name} {c.type}" for c in version.inputs)
        return (
            f"ML_PREDICT('{version.name}') arguments ({match.group(2)}) do not match the INPUT "
            f"of model `{version.name}` version {version.version}: ({expected}). Numbers widen "
            "implicitly; other types need a CAST."
        )

    @staticmethod
    def _codec(version: ModelVersion) -> ModelCodec:
        """Formats and types of a model version; refuses what Confluent refuses."""
        options = version.options
        return ModelCodec.create(
            [(c.name, c.type) for c in version.inputs],
            [(c.name, c.type) for c in version.outputs],
            input_format=options.get("azureml.input_format"),
            output_format=options.get("azureml.output_format"),
            input_content_type=options.get("azureml.input_content_type"),
            output_content_type=options.get("azureml.output_content_type"),
            params={
                k.removeprefix("azureml.params."): v
                for k, v in options.items()
                if k.startswith("azureml.params.")
            },
        )

    def _resolve_predict(self, call: PredictCall) -> ResolvedPredict:
        model = self.catalog.models.get(call.model)
        if model is None:
            raise DialectError(f"model `{call.model}` does not exist; CREATE MODEL it first")
        version = model.get(call.version)
        if len(call.arguments) != len(version.inputs):
            raise DialectError(
                f"ML_PREDICT('{call.model}') passes {len(call.arguments)} values but the model's "
                f"INPUT has {len(version.inputs)} columns"
            )
        if len(call.arguments) > CONFLUENT_REPORTED_MAX_ARGUMENTS:
            self.say(
                f"warning: ML_PREDICT('{call.model}') passes {len(call.arguments)} arguments; "
                f"Confluent Cloud is reported to fail calls with more than "
                f"{CONFLUENT_REPORTED_MAX_ARGUMENTS}. ccflink runs it."
            )
        self._functions += 1
        safe_model = re.sub(r"\W", "_", call.model)
        name = f"ML_PREDICT_{safe_model}_V{version.version}_{self._functions}"
        codec = self._codec(version)
        batched = self._batches(call.model, codec)
        make_function = batch_predict_function if batched else predict_function
        function = make_function(
            call.model, codec, self._endpoint(version), PredictSettings.from_map(call.config)
        )
        self.t_env.create_temporary_system_function(name, function)
        self._predict_functions[name] = version
        self._statement_parallelism = max(
            self._statement_parallelism, predict_parallelism(call.config)
        )
        return ResolvedPredict(name, [c.name for c in version.outputs], batched)

    def _batches(self, model: str, codec: ModelCodec) -> bool:
        """Whether this call uses the batching extension; says why not when it cannot."""
        if self.ml_batch_size == 1:
            return False
        if not codec.accepts_batches:
            self.say(
                f"model `{model}` sends one row per request: its formats "
                f"({codec.input_format} in, {codec.output_format} out) cannot carry several "
                "rows; batching needs a pandas input format and JSON-ARRAY output"
            )
            return False
        config = self.t_env.get_config()
        config.set("python.fn-execution.arrow.batch.size", str(self.ml_batch_size))
        bundle = max(self.ml_batch_size, 100_000)  # a bundle must hold a whole batch
        config.set("python.fn-execution.bundle.size", str(bundle))
        return True
