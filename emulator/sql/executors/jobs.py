"""INSERT and EXECUTE STATEMENT SET (continuous jobs), SELECT (rows read back), and what Flink
runs as it is (after Confluent's expressions are rewritten)."""

from __future__ import annotations

from dataclasses import replace

from emulator.dialect.parse import Insert, Query
from emulator.dialect.statements import Passthrough
from emulator.sql import predict
from emulator.sql.context import Context
from emulator.sql.query import run_query
from emulator.sql.result import StatementResult


def insert(context: Context, statement: Insert, name: str) -> StatementResult:
    text = predict.rewrite(context, statement.text)
    job_id = context.submit(name, text, statement.targets)
    return StatementResult("INSERT", f"running as job {job_id}", job_id)


def select(context: Context, statement: Query, name: str) -> StatementResult:
    text = predict.rewrite(context, statement.text)
    limits = context.select_limits.within(statement.row_limit)
    result = run_query(context.flink, text, name, limits, context.parallelism)
    # Its job ended when reading stopped: the statement completed, nothing keeps running.
    return replace(result, job_id=None)


def passthrough(context: Context, statement: Passthrough, _name: str) -> StatementResult:
    result = context.flink.execute(predict.rewrite(context, statement.text))
    columns = list(result.get_resolved_schema().get_column_names())
    with result.collect() as rows:
        return StatementResult("FLINK", "done", columns=columns, rows=[tuple(r) for r in rows])
