"""The session's Flink TableEnvironment, set up as Confluent Cloud sets a statement's.

Everything the engine asks of Flink goes through `FlinkEnvironment`: declaring tables,
submitting jobs, planning a query's columns, registering ML_PREDICT functions. Flink's own
errors arrive as Py4J exceptions; `flink_detail` keeps the line that says what went wrong.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pyflink.java_gateway import get_gateway
from pyflink.table import EnvironmentSettings, TableEnvironment
from pyflink.util.java_utils import add_jars_to_context_class_loader

from emulator import tables
from emulator.catalog import TableEntry
from emulator.config import Settings
from emulator.dialect.statements import ColumnDef
from emulator.dialect.text import quote_identifier
from emulator.flink.cluster import connector_jars, job_settings
from emulator.flink.rest import FlinkRest
from emulator.sql.planner_threads import PlannerThreads

T = TypeVar("T")

# Python functions must run in the TaskManager's own Python workers, not inside this client
# (PyFlink's "loopback" mode), or every job dies when the submitting process exits.
os.environ["_python_worker_execution_mode"] = "process"  # noqa: SIM112 (PyFlink's spelling)
# This process's Flink client JVM plans a few statements and fetches a SELECT's rows:
# C1-compiled code and the serial collector spare it the C2 compiler's CPU, which on a small
# machine is taken from the services beside it (`make up`'s SQL: 14.1 -> 10.7 s, BENCHMARKS.md).
CLIENT_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

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


CHECKPOINT_INTERVAL_KEY = "execution.checkpointing.interval"
RESTORE_KEY = "execution.state-recovery.path"


def flink_detail(message: str) -> str:
    """The meaningful part of a Py4J error: the exception line and what it goes on to say."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if "Exception:" in line), 0)
    detail = lines[start : start + 1]
    for line in lines[start + 1 : start + 6]:
        if line.startswith(("at ", "Caused by")):
            break
        detail.append(line)
    return " ".join(detail)[:1500] if detail else "unknown error"


def is_flink_error(error: BaseException) -> bool:
    """Whether the error came from Flink's JVM (through Py4J) rather than from our code."""
    return type(error).__module__.startswith("py4j")


def column_type(type_text: str) -> tuple[str, bool]:
    """Flink's printed type without time-attribute markers, and whether it is nullable."""
    cleaned = re.sub(r"\s*\*(ROWTIME|PROCTIME)\*", "", type_text).strip()
    nullable = not cleaned.endswith("NOT NULL")
    return cleaned.removesuffix("NOT NULL").strip(), nullable


def _start_client_jvm() -> None:
    """Start PyFlink's JVM for this process (once) with CLIENT_JVM_OPTIONS, unless the user
    set JVM_ARGS. PyFlink reads them from the environment when it launches the JVM; they are
    taken out again so that no other JVM this process starts (Flink's daemons read JVM_ARGS
    too) gets them."""
    if "JVM_ARGS" in os.environ:
        get_gateway()
        return
    os.environ["JVM_ARGS"] = CLIENT_JVM_OPTIONS
    try:
        get_gateway()
    finally:
        del os.environ["JVM_ARGS"]


def _create(settings: Settings) -> TableEnvironment:
    _start_client_jvm()
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    config = t_env.get_config()
    config.set("execution.target", "remote")
    rest = urlsplit(settings.flink_rest_url)  # this stack's, or the profile's
    config.set("rest.address", rest.hostname or settings.host)
    config.set("rest.port", str(rest.port or 8081))
    jars = [p.as_uri() for p in connector_jars(settings)]
    if settings.own_flink:  # the stack's cluster has them on its classpath: planning only
        add_jars_to_context_class_loader(jars)
    else:  # another cluster: each job carries them
        config.set("pipeline.jars", ";".join(jars))
    config.set("python.executable", settings.python)
    # One slot per statement: the client's default would be this machine's core count.
    config.set("parallelism.default", "1")
    # Chained operators hand records over without a defensive copy: Flink's SQL operators
    # do not hold on to a record they passed on. A copy per record per operator saved;
    # BENCHMARKS.md has the effect on the pipeline.
    config.set("pipeline.object-reuse", "true")
    for key, value in CONFLUENT_SESSION_DEFAULTS.items():
        config.set(key, value)
    for key, value in job_settings(settings).items():
        config.set(key, value)
    return t_env


class FlinkEnvironment:
    """The statements' window on Flink: one TableEnvironment per session."""

    def __init__(self, settings: Settings, t_env: TableEnvironment | None = None) -> None:
        self.settings = settings
        self.t_env = t_env if t_env is not None else _create(settings)
        # An environment handed in (the unit tests' fakes) has no planner to prime.
        self._planner_threads = PlannerThreads(self.t_env) if t_env is None else None

    def _plan(self, call: Callable[[], T]) -> T:
        """Run a call that plans SQL; see PlannerThreads."""
        return call() if self._planner_threads is None else self._planner_threads.plan(call)

    def set(self, key: str, value: str) -> None:
        self.t_env.get_config().set(key, value)

    def execute(self, sql: str) -> Any:
        """Run a statement Flink takes as it is; its TableResult."""
        return self._plan(lambda: self.t_env.execute_sql(sql))

    def define(
        self,
        table: TableEntry,
        scan_overrides: dict[str, str],
        *,
        replace: bool = False,
        writer: str | None = None,
    ) -> None:
        """(Re)declare a catalog table to this session's Flink catalog; `writer`: the statement
        about to write it."""
        if replace:
            self.drop(table.name)
        ddl = tables.flink_ddl(self.settings, table, scan_overrides, writer)
        self._plan(lambda: self.t_env.execute_sql(ddl))

    def drop(self, name: str) -> None:
        self.t_env.execute_sql(f"DROP TABLE IF EXISTS {quote_identifier(name)}")

    def query_columns(self, query: str) -> list[ColumnDef]:
        """The columns a query produces, as Flink plans them (CTAS takes them for its table)."""
        resolved = self._plan(lambda: self.t_env.sql_query(query)._j_table.getResolvedSchema())
        columns = []
        for column in resolved.getColumns():
            type_text, nullable = column_type(column.getDataType().toString())
            columns.append(ColumnDef(column.getName(), type_text, nullable))
        return columns

    def result_types(self, query: str) -> list[tuple[str, str]]:
        """A query's columns with their full SQL types (`TIMESTAMP(3) WITH LOCAL TIME ZONE`)."""
        resolved = self._plan(lambda: self.t_env.sql_query(query)._j_table.getResolvedSchema())
        return [
            (c.getName(), c.getDataType().getLogicalType().asSerializableString())
            for c in resolved.getColumns()
        ]

    def with_computed_types(self, entry: TableEntry) -> TableEntry:
        """Computed columns get the type Flink derives for them, for DESCRIBE."""
        if all(c.expression is None for c in entry.columns):
            return entry
        resolved = self.t_env.from_path(quote_identifier(entry.name))._j_table.getResolvedSchema()
        types = {
            c.getName(): column_type(c.getDataType().toString()) for c in resolved.getColumns()
        }
        columns = [
            replace(c, type=types[c.name][0], nullable=types[c.name][1])
            if c.expression is not None
            else c
            for c in entry.columns
        ]
        return replace(entry, columns=columns)

    def start(self, name: str, sql: str, parallelism: int) -> Any:
        """Submit a statement as the named job; its TableResult."""
        self.set("pipeline.name", name)
        self.set("parallelism.default", str(parallelism))
        return self._plan(lambda: self.t_env.execute_sql(sql))

    def cancel_job(self, job_id: str) -> None:
        """Cancel a job through Flink's REST API, not through this session's py4j gateway.

        Calcite keeps its metadata providers per Java thread, set on the thread that planned
        first; a py4j call made while a reader thread holds that connection opens another one
        on a fresh Java thread, and planning on it later fails with Flink's
        `NullPointerException: metadataHandlerProvider` (FLINK-23020). Cancelling over REST
        makes no such call.
        """
        FlinkRest(self.settings.flink_rest_url).cancel(job_id)

    def start_query(self, name: str, sql: str, parallelism: int) -> Any:
        """Submit a SELECT whose rows come back to this client; its TableResult.

        Without checkpoints: with them, Flink's collect sink hands a row over only once a
        checkpoint covers it (exactly-once for the reader), so every result would wait for
        the interval, and an interactive query is not restarted anyway (as on Confluent).
        """
        configuration = self.t_env.get_config().get_configuration()
        interval = configuration.get_string(CHECKPOINT_INTERVAL_KEY, "")
        configuration.remove_config(CHECKPOINT_INTERVAL_KEY)
        try:
            return self.start(name, sql, parallelism)
        finally:
            if interval:
                self.set(CHECKPOINT_INTERVAL_KEY, interval)

    def submit(
        self, name: str, sql: str, parallelism: int, *, restore_from: str | None = None
    ) -> str:
        """Submit a continuous statement, from a savepoint or retained checkpoint if given;
        its job id."""
        if restore_from is None:
            result = self.start(name, sql, parallelism)
        else:
            self.set(RESTORE_KEY, restore_from)
            try:
                result = self.start(name, sql, parallelism)
            finally:
                self.t_env.get_config().get_configuration().remove_config(RESTORE_KEY)
        client = result.get_job_client()
        return str(client.get_job_id()) if client is not None else "?"

    def register_function(self, name: str, function: Any) -> None:
        self.t_env.create_temporary_system_function(name, function)
