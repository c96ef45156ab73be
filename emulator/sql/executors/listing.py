"""SHOW TABLES, SHOW MODELS, SHOW CONNECTIONS [LIKE 'pattern'], from the catalog."""

from __future__ import annotations

import fnmatch

from emulator.dialect.catalog_statements import Show
from emulator.sql.context import Context
from emulator.sql.result import StatementResult

_COLUMN = {"TABLES": "Table Name", "MODELS": "Model Name", "CONNECTIONS": "Name"}


def _like(names: list[str], pattern: str | None) -> list[str]:
    if pattern is None:
        return sorted(names)
    glob = pattern.replace("%", "*").replace("_", "?")
    return sorted(n for n in names if fnmatch.fnmatchcase(n, glob))


def show(context: Context, statement: Show, _name: str) -> StatementResult:
    catalog = context.catalog
    source = {
        "TABLES": catalog.tables,
        "MODELS": catalog.models,
        "CONNECTIONS": catalog.connections,
    }[statement.kind]
    names = _like(list(source), statement.like)
    return StatementResult(
        "SHOW",
        f"{len(names)} {statement.kind.lower()}",
        columns=[_COLUMN[statement.kind]],
        rows=[(n,) for n in names],
    )
