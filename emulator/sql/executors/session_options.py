"""SET 'key' = 'value': Confluent's `sql.*` options, Flink's own keys, and the local ones."""

from __future__ import annotations

from emulator import tables
from emulator.dialect.statements import SetOption
from emulator.dialect.text import DialectError
from emulator.sql import predict
from emulator.sql.context import Context
from emulator.sql.result import StatementResult

# Confluent's `sql.*` options and the Flink keys they stand for.
SQL_OPTION_KEYS = {
    "sql.local-time-zone": "table.local-time-zone",
    "sql.state-ttl": "table.exec.state.ttl",
    "sql.tables.scan.idle-timeout": "table.exec.source.idle-timeout",
}
STATEMENT_NAME_OPTION = "client.statement-name"
# PyFlink's thread mode needs the workers' packages on `python.pythonpath`, which the cluster
# does not set: its jobs fail with "No module named 'pemja'" and restart without end.
PYTHON_EXECUTION_MODE = "python.execution-mode"
SUPPORTED_EXECUTION_MODES = {"process"}


def set_option(context: Context, statement: SetOption, _name: str) -> StatementResult:
    if statement.key == STATEMENT_NAME_OPTION:
        context.next_name = statement.value
        return StatementResult("SET", f"the next statement is named {statement.value!r}")
    result = _apply(context, statement)
    context.options[statement.key] = statement.value  # kept once it took
    return result


def _apply(context: Context, statement: SetOption) -> StatementResult:
    if statement.key == predict.ML_BATCH_SIZE_OPTION:
        context.ml_batch_size = predict.parse_batch_size(statement.value)
        return StatementResult("SET", f"{statement.key} = {context.ml_batch_size}")
    scan_option = statement.key.removeprefix("sql.tables.")
    if scan_option in tables.SCAN_OPTIONS:
        context.scan_overrides[scan_option] = statement.value
        for table in context.catalog.tables.values():
            context.define(table, replace=True)
        return StatementResult("SET", f"{statement.key} = {statement.value}")
    key = SQL_OPTION_KEYS.get(statement.key, statement.key)
    if key == PYTHON_EXECUTION_MODE and statement.value not in SUPPORTED_EXECUTION_MODES:
        raise DialectError(
            f"option {key!r} = {statement.value!r} is not supported here: ML_PREDICT runs in "
            "PyFlink's process mode (BENCHMARKS.md, \"ML_PREDICT's Python function\", measures "
            "the others); remove the SET"
        )
    if key.startswith("sql."):
        raise DialectError(f"option {statement.key!r} is not emulated")
    context.flink.set(key, statement.value)
    return StatementResult("SET", f"{statement.key} = {statement.value}")
