"""Confluent Cloud Flink SQL statements, parsed into what the emulator acts on.

Only what open-source Flink cannot take as is gets parsed here: CREATE TABLE (no connector,
DISTRIBUTED BY, CTAS), CREATE MODEL (versions, the azureml provider) and SET of `sql.*`
options. Everything else passes to Flink after expression rewrites.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from emulator.dialect.text import (
    DialectError,
    matching_paren,
    parse_options,
    scan,
    split_top_level,
    string_literal,
    unquote,
)

_IDENT = r"(?:`(?:[^`]|``)+`|[A-Za-z_$][\w$]*)"
_NAME = rf"{_IDENT}(?:\.{_IDENT}){{0,2}}"
# A table is a topic of the same name; Kafka takes these names only (and not "." or "..").
_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")


# Confluent's metadata keys and whether a table may write them. Open-source Flink's Kafka
# connector reads all of them under the same names (it may also write `topic`, which Confluent
# does not); Confluent's `raw-key` and `raw-value` have no counterpart there.
METADATA_KEYS = {
    "headers": True,
    "leader-epoch": False,
    "offset": False,
    "partition": False,
    "timestamp": True,
    "timestamp-type": False,
    "topic": False,
}
_NOT_EMULATED_METADATA = {
    "raw-key": "declare the key as a STRING or BYTES column with 'key.format' = 'raw'",
    "raw-value": "read the value's columns instead",
}


@dataclass(frozen=True)
class ColumnDef:
    """A physical column, a metadata column (`metadata` is its key) or a computed one."""

    name: str
    type: str  # Flink SQL type text, e.g. "DOUBLE", "TIMESTAMP(3)"; computed: once resolved
    nullable: bool = True
    metadata: str | None = None  # METADATA FROM '<key>'
    virtual: bool = False  # METADATA ... VIRTUAL: read-only, left out of INSERT INTO
    expression: str | None = None  # `name AS expression`

    @property
    def physical(self) -> bool:
        """Stored in the record's key or value, so part of the registered schemas."""
        return self.metadata is None and self.expression is None

    def extras(self) -> str:
        """What makes the column metadata or computed, as SHOW CREATE TABLE writes it."""
        if self.expression is not None:
            return f"AS {self.expression}"
        if self.metadata is not None:
            return f"METADATA FROM '{self.metadata}'" + (" VIRTUAL" if self.virtual else "")
        return ""

    def sql(self) -> str:
        if self.expression is not None:
            return f"`{self.name}` {self.extras()}"
        text = f"`{self.name}` {self.type}{'' if self.nullable else ' NOT NULL'}"
        return f"{text} {self.extras()}" if self.metadata is not None else text


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


def _check_metadata(column: str, key: str, virtual: bool) -> None:
    """Refuse what Confluent refuses (unknown keys, writable read-only ones) and raw-key/value."""
    if key in _NOT_EMULATED_METADATA:
        raise DialectError(
            f"column `{column}`: metadata key '{key}' is not emulated (open-source Flink's "
            f"Kafka connector has no such metadata); {_NOT_EMULATED_METADATA[key]}"
        )
    if key not in METADATA_KEYS:
        raise DialectError(
            f"column `{column}`: metadata key '{key}' does not exist; Confluent Cloud tables "
            f"have {', '.join(sorted([*METADATA_KEYS, *_NOT_EMULATED_METADATA]))}"
        )
    if not METADATA_KEYS[key] and not virtual:
        raise DialectError(
            f"column `{column}`: metadata key '{key}' is read-only in Confluent Cloud, so the "
            f"column must be VIRTUAL (it is then left out of INSERT INTO): "
            f"`{column}` ... METADATA FROM '{key}' VIRTUAL"
        )


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
        name = unquote(match.group(1))
        rest = re.sub(r"(?is)\s+COMMENT\s+'(?:[^']|'')*'\s*$", "", match.group(2))
        computed = re.match(r"(?is)^AS\s+(.+)$", rest)
        if computed:
            columns.append(ColumnDef(name, "", expression=computed.group(1).strip()))
            continue
        if re.search(r"(?i)\bPRIMARY\s+KEY\s+NOT\s+ENFORCED\b", rest):
            primary_key = [name]
            rest = re.sub(r"(?i)\s*\bPRIMARY\s+KEY\s+NOT\s+ENFORCED\b", "", rest)
        metadata = re.match(
            r"(?is)^(.+?)\s+METADATA(?:\s+FROM\s+('(?:[^']|'')*'))?(\s+VIRTUAL)?$", rest
        )
        if metadata:
            rest = metadata.group(1)
        nullable = not re.search(r"(?i)\bNOT\s+NULL\b", rest)
        type_text = re.sub(r"(?i)\s*\bNOT\s+NULL\b|\s*\bNULL\b", "", rest).strip()
        if metadata:
            key = string_literal(metadata.group(2)) if metadata.group(2) else name
            virtual = bool(metadata.group(3))
            _check_metadata(name, key, virtual)
            columns.append(ColumnDef(name, type_text, nullable, key, virtual))
        else:
            columns.append(ColumnDef(name, type_text, nullable))
    if primary_key:
        columns = [replace(c, nullable=False) if c.name in primary_key else c for c in columns]
    return columns, primary_key, watermark


def parse_column_definitions(body: str) -> list[ColumnDef]:
    """Column definitions alone, as ALTER TABLE ... ADD lists them (no keys or watermarks)."""
    columns, primary_key, watermark = _parse_columns(body)
    if primary_key or watermark is not None:
        raise DialectError("ALTER TABLE ... ADD takes columns only; use MODIFY WATERMARK")
    return columns


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
    if not _TOPIC_NAME.fullmatch(name) or name in {".", ".."}:
        raise DialectError(
            f"table name {name[:60]!r} is not a Kafka topic name, which a table's name is: "
            "up to 249 letters, digits, '.', '_' or '-' (not '.' or '..' alone)"
        )
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
