"""Confluent Cloud Flink SQL statements, parsed into what the emulator acts on.

Only what open-source Flink cannot take as is gets parsed here: CREATE TABLE (no connector,
DISTRIBUTED BY, CTAS), CREATE MODEL (versions, the azureml provider) and SET of `sql.*`
options. Everything else passes to Flink after expression rewrites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from emulator.dialect.text import (
    DialectError,
    matching_paren,
    parse_options,
    scan,
    split_top_level,
    string_literal,
    unquote,
)

_IDENT = r"(?:`[^`]+`|[A-Za-z_$][\w$]*)"
_NAME = rf"{_IDENT}(?:\.{_IDENT}){{0,2}}"


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type: str  # Flink SQL type text, e.g. "DOUBLE", "TIMESTAMP(3)"
    nullable: bool = True

    def sql(self) -> str:
        return f"`{self.name}` {self.type}{'' if self.nullable else ' NOT NULL'}"


@dataclass(frozen=True)
class CreateTable:
    name: str
    columns: list[ColumnDef]
    if_not_exists: bool = False
    key_columns: list[str] = field(default_factory=list)
    primary_key: list[str] = field(default_factory=list)
    buckets: int | None = None
    watermark: tuple[str, str] | None = None  # (column, expression)
    options: dict[str, str] = field(default_factory=dict)
    query: str | None = None  # CREATE TABLE ... AS SELECT


@dataclass(frozen=True)
class CreateModel:
    name: str
    inputs: list[ColumnDef]
    outputs: list[ColumnDef]
    options: dict[str, str]
    if_not_exists: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class SetOption:
    key: str
    value: str


@dataclass(frozen=True)
class Passthrough:
    """A statement Flink runs as is (after expression rewrites): INSERT, SELECT, SHOW, ..."""

    text: str


Parsed = CreateTable | CreateModel | SetOption | Passthrough


def _last_name(name: str) -> str:
    return unquote(split_top_level(name, ".")[-1]) if "." in name else unquote(name)


def parse(text: str) -> Parsed:
    stripped = text.strip().rstrip(";").strip()
    if re.match(r"(?is)^CREATE\s+TABLE\b", stripped):
        return _parse_create_table(stripped)
    if re.match(r"(?is)^CREATE\s+MODEL\b", stripped):
        return _parse_create_model(stripped)
    set_match = re.match(r"(?is)^SET\s+'([^']+)'\s*=\s*'(.*)'$", stripped)
    if set_match:
        return SetOption(set_match.group(1), set_match.group(2))
    return Passthrough(stripped)


def _parse_columns(body: str) -> tuple[list[ColumnDef], list[str], tuple[str, str] | None]:
    columns: list[ColumnDef] = []
    primary_key: list[str] = []
    watermark: tuple[str, str] | None = None
    for part in split_top_level(body):
        if re.match(r"(?i)^WATERMARK\b", part):
            match = re.match(rf"(?is)^WATERMARK\s+FOR\s+({_IDENT})\s+AS\s+(.+)$", part)
            if not match:
                raise DialectError(f"cannot read watermark definition {part!r}")
            watermark = (unquote(match.group(1)), match.group(2).strip())
            continue
        pk = re.match(r"(?is)^(?:CONSTRAINT\s+\S+\s+)?PRIMARY\s+KEY\s*\((.+)\)", part)
        if pk:
            primary_key = [unquote(c) for c in split_top_level(pk.group(1))]
            continue
        match = re.match(rf"(?is)^({_IDENT})\s+(.+)$", part)
        if not match:
            raise DialectError(f"cannot read column definition {part!r}")
        name, rest = unquote(match.group(1)), match.group(2)
        if re.search(r"(?i)\bMETADATA\b|^AS\b", rest):
            raise DialectError(
                f"column {name!r}: metadata and computed columns are not emulated yet; "
                "declare a physical column instead"
            )
        rest = re.sub(r"(?is)\s+COMMENT\s+'(?:[^']|'')*'", "", rest)
        if re.search(r"(?i)\bPRIMARY\s+KEY\s+NOT\s+ENFORCED\b", rest):
            primary_key = [name]
            rest = re.sub(r"(?i)\s*\bPRIMARY\s+KEY\s+NOT\s+ENFORCED\b", "", rest)
        nullable = not re.search(r"(?i)\bNOT\s+NULL\b", rest)
        type_text = re.sub(r"(?i)\s*\bNOT\s+NULL\b|\s*\bNULL\b", "", rest).strip()
        columns.append(ColumnDef(name, type_text, nullable))
    if primary_key:
        columns = [
            ColumnDef(c.name, c.type, False) if c.name in primary_key else c for c in columns
        ]
    return columns, primary_key, watermark


_AS_QUERY = re.compile(r"(?is)AS\s+(SELECT|WITH)\b")


def _top_level_as_query(text: str) -> tuple[int, int] | None:
    """(start of `AS`, start of the query) of CTAS, outside quotes and parentheses."""
    for index, char, depth in scan(text):
        if depth or char not in "aA" or (index and not text[index - 1].isspace()):
            continue
        match = _AS_QUERY.match(text, index)
        if match:
            return index, match.start(1)
    return None


def _parse_create_table(text: str) -> CreateTable:
    head = re.match(rf"(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?({_NAME})\s*", text)
    if not head:
        raise DialectError("cannot read the table name of CREATE TABLE")
    name = _last_name(head.group(2))
    rest = text[head.end() :]
    columns: list[ColumnDef] = []
    primary_key: list[str] = []
    watermark = None
    if rest.startswith("("):
        close = matching_paren(rest, 0)
        columns, primary_key, watermark = _parse_columns(rest[1:close])
        rest = rest[close + 1 :].strip()
    query = None
    as_at = _top_level_as_query(rest)
    if as_at is not None:
        as_start, query_start = as_at
        query = rest[query_start:].strip()
        rest = rest[:as_start].strip()
    rest = re.sub(r"(?is)^COMMENT\s+'(?:[^']|'')*'\s*", "", rest)
    key_columns: list[str] = []
    buckets = None
    dist = re.match(
        r"(?is)^DISTRIBUTED\s+(?:BY\s+(?:HASH\s*)?\(([^)]*)\)\s*)?(?:INTO\s+(\d+)\s+BUCKETS)?\s*",
        rest,
    )
    if dist and dist.group(0).strip():
        if dist.group(1):
            key_columns = [unquote(c) for c in split_top_level(dist.group(1))]
        buckets = int(dist.group(2)) if dist.group(2) else None
        rest = rest[dist.end() :]
    options: dict[str, str] = {}
    with_match = re.match(r"(?is)^WITH\s*\(", rest)
    if with_match:
        open_index = rest.index("(")
        close = matching_paren(rest, open_index)
        options = parse_options(rest[open_index + 1 : close])
        rest = rest[close + 1 :].strip()
    if rest:
        raise DialectError(f"unexpected text after the table definition: {rest[:60]!r}")
    if not columns and query is None:
        raise DialectError(f"CREATE TABLE {name} declares no columns and no AS SELECT")
    return CreateTable(
        name=name,
        columns=columns,
        if_not_exists=bool(head.group(1)),
        key_columns=key_columns or primary_key,
        primary_key=primary_key,
        buckets=buckets,
        watermark=watermark,
        options=options,
        query=query,
    )


def _parse_model_columns(body: str) -> list[ColumnDef]:
    columns, _, _ = _parse_columns(body)
    return columns


def _parse_create_model(text: str) -> CreateModel:
    head = re.match(rf"(?is)^CREATE\s+MODEL\s+(IF\s+NOT\s+EXISTS\s+)?({_NAME})\s*", text)
    if not head:
        raise DialectError("cannot read the model name of CREATE MODEL")
    rest = text[head.end() :]
    sections: dict[str, list[ColumnDef]] = {}
    for keyword in ("INPUT", "OUTPUT"):
        match = re.match(rf"(?is)^{keyword}\s*\(", rest)
        if match:
            open_index = rest.index("(")
            close = matching_paren(rest, open_index)
            sections[keyword] = _parse_model_columns(rest[open_index + 1 : close])
            rest = rest[close + 1 :].strip()
    comment = None
    comment_match = re.match(r"(?is)^COMMENT\s+('(?:[^']|'')*')\s*", rest)
    if comment_match:
        comment = string_literal(comment_match.group(1))
        rest = rest[comment_match.end() :]
    with_match = re.match(r"(?is)^WITH\s*\(", rest)
    if not with_match:
        raise DialectError("CREATE MODEL needs WITH ('provider' = ..., 'task' = ..., ...)")
    open_index = rest.index("(")
    close = matching_paren(rest, open_index)
    options = {k.lower(): v for k, v in parse_options(rest[open_index + 1 : close]).items()}
    if rest[close + 1 :].strip():
        raise DialectError(f"unexpected text after CREATE MODEL: {rest[close + 1 :][:60]!r}")
    return CreateModel(
        name=_last_name(head.group(2)),
        inputs=sections.get("INPUT", []),
        outputs=sections.get("OUTPUT", []),
        options=options,
        if_not_exists=bool(head.group(1)),
        comment=comment,
    )
