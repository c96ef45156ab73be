"""One entry for every statement: refuse what is not emulated, then parse it into its kind.

The engine looks its executor up by `statement_kind`, so the kinds named here are the whole
list of what a session can run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.dialect.catalog_statements import (
    AlterColumns,
    AlterOptions,
    AlterWatermark,
    CatalogStatement,
    CreateConnection,
    Describe,
    Drop,
    Show,
    ShowCreate,
    parse_catalog_statement,
)
from emulator.dialect.refusals import refusal
from emulator.dialect.statements import CreateModel, CreateTable, Passthrough, SetOption, parse
from emulator.dialect.text import DialectError, scan, unquote

# A query that returns rows to the client rather than writing a table.
_QUERY = re.compile(r"(?is)^[\s(]*(SELECT|WITH|VALUES)\b")
_JOB = re.compile(r"(?is)^(INSERT|EXECUTE)\b")
# The table an INSERT writes: `INSERT INTO t`, `INSERT OVERWRITE t`, a quoted or dotted name.
_INSERT_TARGET = re.compile(
    r"(?is)\bINSERT\s+(?:INTO|OVERWRITE)\s+((?:`(?:[^`]|``)+`|[\w$]+)(?:\.(?:`(?:[^`]|``)+`|[\w$]+))*)"
)
_ROW_LIMIT = re.compile(r"(?is)\b(?:LIMIT\s+(\d+)|FETCH\s+(?:FIRST|NEXT)\s+(\d+)\s+ROWS?\s+ONLY)\b")


@dataclass(frozen=True)
class Insert:
    """INSERT INTO or EXECUTE STATEMENT SET: a long-running job writing tables."""

    text: str

    @property
    def targets(self) -> list[str]:
        """The tables the job writes, in order (a statement set writes several)."""
        code = {index for index, _char, _depth in scan(self.text)}
        names = [
            unquote(m.group(1)) for m in _INSERT_TARGET.finditer(self.text) if m.start() in code
        ]
        return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Query:
    """SELECT, WITH ... SELECT or VALUES: rows returned to the client."""

    text: str

    @property
    def row_limit(self) -> int | None:
        """The outermost LIMIT n (or FETCH FIRST n ROWS ONLY): no more rows will come."""
        return row_limit(self.text)


Statement = CreateTable | CreateModel | SetOption | Insert | Query | Passthrough | CatalogStatement


def is_query(sql: str) -> bool:
    """SELECT, WITH ... SELECT and VALUES (possibly in parentheses) return rows."""
    return bool(_QUERY.match(sql))


def row_limit(sql: str) -> int | None:
    """The row count of the query's own LIMIT, outside subqueries, strings and comments."""
    top_level = {index for index, _char, depth in scan(sql) if depth == 0}
    limits = [m for m in _ROW_LIMIT.finditer(sql) if m.start() in top_level]
    if not limits:
        return None
    last = limits[-1]
    return int(last.group(1) or last.group(2))


def parse_statement(text: str) -> Statement:
    """The statement as the engine acts on it; DialectError for what cannot run here."""
    refused = refusal(text)
    if refused is not None:
        raise DialectError(refused)
    stripped = text.strip().rstrip(";").strip()
    catalog_statement = parse_catalog_statement(stripped)
    if catalog_statement is not None:
        return catalog_statement
    parsed = parse(stripped)
    if isinstance(parsed, Passthrough):
        if _JOB.match(parsed.text):
            return Insert(parsed.text)
        if is_query(parsed.text):
            return Query(parsed.text)
    return parsed


def statement_kind(statement: Statement) -> str:
    """What the statement does, e.g. 'CREATE TABLE AS', 'DROP MODEL', 'SELECT'."""
    match statement:
        case CreateTable(query=None):
            return "CREATE TABLE"
        case CreateTable():
            return "CREATE TABLE AS"
        case CreateModel():
            return "CREATE MODEL"
        case CreateConnection():
            return "CREATE CONNECTION"
        case SetOption():
            return "SET"
        case Insert():
            return "INSERT"
        case Query():
            return "SELECT"
        case Show():
            return "SHOW"
        case Describe(kind=kind):
            return f"DESCRIBE {kind}"
        case ShowCreate(kind=kind):
            return f"SHOW CREATE {kind}"
        case Drop(kind=kind):
            return f"DROP {kind}"
        case AlterOptions(kind=kind):
            return f"ALTER {kind}"
        case AlterWatermark():
            return "ALTER TABLE WATERMARK"
        case AlterColumns():
            return "ALTER TABLE COLUMNS"
    return "FLINK"  # any other statement Flink runs as it is (SHOW FUNCTIONS, EXPLAIN, ...)
