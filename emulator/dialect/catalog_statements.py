"""Statements about catalog objects (tables, models, connections) that the emulator answers.

Open-source Flink would answer SHOW/DESCRIBE/DROP from its own in-memory catalog, which knows
nothing of topics, subjects, model versions or connections; these are answered from the
emulator's catalog instead, the way Confluent Cloud answers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from emulator.dialect.statements import ColumnDef, parse_column_definitions
from emulator.dialect.text import (
    DialectError,
    matching_paren,
    parse_options,
    split_top_level,
    string_literal,
    unquote,
)

_IDENT = r"(?:`(?:[^`]|``)+`|[A-Za-z_$][\w$-]*)"
_NAME = rf"({_IDENT}(?:\.{_IDENT}){{0,2}})"
_LIKE = r"(?:\s+(?:I?LIKE)\s+('(?:[^']|'')*'))?"


def _name(text: str) -> str:
    return unquote(text.split(".")[-1]) if "`" not in text else unquote(text.rsplit(".", 1)[-1])


@dataclass(frozen=True)
class Show:
    kind: str  # "TABLES", "MODELS", "CONNECTIONS"
    like: str | None = None


@dataclass(frozen=True)
class Describe:
    kind: str  # "TABLE", "MODEL", "CONNECTION"
    name: str
    extended: bool = False


@dataclass(frozen=True)
class ShowCreate:
    kind: str  # "TABLE", "MODEL"
    name: str


@dataclass(frozen=True)
class Drop:
    kind: str  # "TABLE", "MODEL", "CONNECTION"
    name: str  # models may carry `$version` or `$all`
    if_exists: bool = False


@dataclass(frozen=True)
class AlterOptions:
    kind: str  # "TABLE", "MODEL"
    name: str
    options: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlterWatermark:
    table: str
    watermark: tuple[str, str] | None  # None: DROP WATERMARK (back to the default)


@dataclass(frozen=True)
class AlterColumns:
    """ALTER TABLE ... ADD (columns) or DROP (names): metadata and computed columns only."""

    table: str
    added: list[ColumnDef] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CreateConnection:
    name: str
    options: dict[str, str]
    if_not_exists: bool = False
    comment: str | None = None


CatalogStatement = (
    Show
    | Describe
    | ShowCreate
    | Drop
    | AlterOptions
    | AlterWatermark
    | AlterColumns
    | CreateConnection
)


def _with_options(rest: str, what: str) -> tuple[dict[str, str], str]:
    match = re.match(r"(?is)^\s*(?:SET|WITH)\s*\(", rest)
    if not match:
        raise DialectError(f"{what} needs ('key' = 'value', ...)")
    open_index = rest.index("(", match.start())
    close = matching_paren(rest, open_index)
    return parse_options(rest[open_index + 1 : close]), rest[close + 1 :].strip()


def parse_catalog_statement(text: str) -> CatalogStatement | None:
    """The statement, or None when it is not one of these."""
    show = re.match(rf"(?is)^SHOW\s+(TABLES|MODELS|CONNECTIONS){_LIKE}$", text)
    if show:
        return Show(show.group(1).upper(), string_literal(show.group(2)) if show.group(2) else None)
    create_show = re.match(rf"(?is)^SHOW\s+CREATE\s+(TABLE|MODEL)\s+{_NAME}$", text)
    if create_show:
        return ShowCreate(create_show.group(1).upper(), _name(create_show.group(2)))
    describe = re.match(
        rf"(?is)^(?:DESCRIBE|DESC)\s+(EXTENDED\s+)?(?:(MODEL|CONNECTION|TABLE)\s+)?{_NAME}$", text
    )
    if describe:
        kind = (describe.group(2) or "TABLE").upper()
        return Describe(kind, _name(describe.group(3)), bool(describe.group(1)))
    drop = re.match(rf"(?is)^DROP\s+(TABLE|MODEL|CONNECTION)\s+(IF\s+EXISTS\s+)?{_NAME}$", text)
    if drop:
        return Drop(drop.group(1).upper(), _name(drop.group(3)), bool(drop.group(2)))
    alter = re.match(rf"(?is)^ALTER\s+(TABLE|MODEL)\s+{_NAME}\s+(.*)$", text)
    if alter:
        return _parse_alter(alter.group(1).upper(), _name(alter.group(2)), alter.group(3))
    connection = re.match(rf"(?is)^CREATE\s+CONNECTION\s+(IF\s+NOT\s+EXISTS\s+)?{_NAME}\s*", text)
    if connection:
        rest = text[connection.end() :]
        comment = None
        comment_match = re.match(r"(?is)^COMMENT\s+('(?:[^']|'')*')\s*", rest)
        if comment_match:
            comment = string_literal(comment_match.group(1))
            rest = rest[comment_match.end() :]
        options, tail = _with_options(rest, "CREATE CONNECTION")
        if tail:
            raise DialectError(f"unexpected text after CREATE CONNECTION: {tail[:60]!r}")
        return CreateConnection(
            _name(connection.group(2)),
            {k.lower(): v for k, v in options.items()},
            bool(connection.group(1)),
            comment,
        )
    return None


def _parse_alter_columns(table: str, rest: str) -> AlterColumns | None:
    """`ADD col ...`, `ADD (col ..., col ...)`, `DROP col`, `DROP (col, col)`; else None."""
    match = re.match(r"(?is)^(ADD|DROP)\s+(?:COLUMN\s+)?(.+)$", rest)
    if match is None:
        return None
    body = match.group(2).strip()
    if body.startswith("(") and matching_paren(body, 0) == len(body) - 1:
        body = body[1:-1]
    if match.group(1).upper() == "ADD":
        return AlterColumns(table, added=parse_column_definitions(body))
    return AlterColumns(table, dropped=[unquote(c) for c in split_top_level(body)])


def _parse_alter(kind: str, name: str, rest: str) -> CatalogStatement:
    rest = rest.strip()
    if kind == "TABLE":
        if re.match(r"(?is)^DROP\s+WATERMARK$", rest):
            return AlterWatermark(name, None)
        watermark = re.match(
            rf"(?is)^MODIFY\s+\(?\s*WATERMARK\s+FOR\s+({_IDENT})\s+AS\s+(.+?)\)?$", rest
        )
        if watermark:
            return AlterWatermark(name, (unquote(watermark.group(1)), watermark.group(2).strip()))
        columns = _parse_alter_columns(name, rest)
        if columns is not None:
            return columns
    if re.match(r"(?is)^SET\s*\(", rest):
        options, tail = _with_options(rest, f"ALTER {kind} ... SET")
        if tail:
            raise DialectError(f"unexpected text after ALTER {kind} ... SET: {tail[:60]!r}")
        return AlterOptions(kind, name, options)
    raise DialectError(
        f"ALTER {kind} {name}: only SET ('key' = 'value', ...)"
        + (
            ", MODIFY WATERMARK FOR ... AS ..., DROP WATERMARK, ADD (column, ...) and "
            "DROP (column, ...)"
            if kind == "TABLE"
            else ""
        )
        + " are emulated"
    )
