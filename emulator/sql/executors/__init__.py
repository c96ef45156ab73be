"""One executor per statement kind, registered in one table.

An executor takes the session's context, the parsed statement and the statement's name, acts,
and returns a `StatementResult`; it raises DialectError (or another CcflinkError) for what
the user must change. The kinds are `emulator.dialect.parse.statement_kind`'s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.sql.context import Context
from emulator.sql.executors import connections, jobs, listing, models, session_options, tables
from emulator.sql.result import StatementResult

Executor = Callable[[Context, Any, str], StatementResult]

EXECUTORS: dict[str, Executor] = {
    "CREATE TABLE": tables.create_table,
    "CREATE TABLE AS": tables.create_table_as,
    "ALTER TABLE": tables.alter_options,
    "ALTER TABLE WATERMARK": tables.alter_watermark,
    "ALTER TABLE COLUMNS": tables.alter_columns,
    "DROP TABLE": tables.drop_table,
    "DESCRIBE TABLE": tables.describe_table,
    "SHOW CREATE TABLE": tables.show_create_table,
    "CREATE MODEL": models.create_model,
    "ALTER MODEL": models.alter_model,
    "DROP MODEL": models.drop_model,
    "DESCRIBE MODEL": models.describe_model,
    "SHOW CREATE MODEL": models.show_create_model,
    "CREATE CONNECTION": connections.create_connection,
    "DROP CONNECTION": connections.drop_connection,
    "DESCRIBE CONNECTION": connections.describe_connection,
    "SHOW": listing.show,
    "SET": session_options.set_option,
    "INSERT": jobs.insert,
    "SELECT": jobs.select,
    "FLINK": jobs.passthrough,
}
