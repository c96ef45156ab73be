"""CREATE TABLE, CREATE TABLE AS, ALTER TABLE, DROP TABLE, DESCRIBE and SHOW CREATE TABLE.

A table is a topic, its subjects and a catalog entry; Flink's session catalog gets the table's
DDL from the entry, so every change here is declared to Flink again before it is kept.
"""

from __future__ import annotations

import copy

from common.registry import delete_subject, registry_client
from emulator import tables
from emulator.catalog import TableEntry
from emulator.dialect.catalog_statements import (
    AlterColumns,
    AlterOptions,
    AlterWatermark,
    Describe,
    Drop,
    ShowCreate,
)
from emulator.dialect.statements import CreateTable
from emulator.dialect.text import DialectError, quote_identifier
from emulator.kafka.topics import delete_topic
from emulator.sql import predict
from emulator.sql.context import Context
from emulator.sql.result import StatementResult

# Options Confluent applies to a table created without them (dialect reference, 1.3).
TABLE_DEFAULTS = {
    "connector": "confluent",
    "kafka.cleanup-policy": "delete",
    "kafka.max-message-size": "2097164 bytes",
    "kafka.retention.size": "0 bytes",
    "kafka.retention.time": "7 d",
    "scan.bounded.mode": "unbounded",
    "scan.startup.mode": "earliest-offset",
    "value.format": "avro-registry",
}
CREATION_ONLY_OPTIONS = {
    "kafka.cleanup-policy",
    "kafka.partitions",
    "kafka.retention.time",
    "kafka.retention.size",
    "kafka.max-message-size",
}


def table_named(context: Context, name: str) -> TableEntry:
    if name not in context.catalog.tables:
        raise DialectError(f"Table '{name}' does not exist. SHOW TABLES lists the tables.")
    return context.catalog.tables[name]


def _exists(context: Context, statement: CreateTable, kind: str) -> StatementResult | None:
    if statement.name not in context.catalog.tables:
        return None
    if statement.if_not_exists:
        return StatementResult(kind, "exists already; skipped")
    raise DialectError(
        f"Table '{statement.name}' already exists. "
        "Use CREATE TABLE IF NOT EXISTS, or DROP TABLE it first."
    )


def _register(context: Context, entry: TableEntry) -> None:
    """Provision the topic and subjects, declare the table to Flink, keep it in the catalog."""
    ddl = tables.flink_ddl(context.settings, entry, context.scan_overrides)  # refuses first
    tables.provision(context.settings, entry)
    context.flink.execute(ddl)
    context.catalog.tables[entry.name] = context.flink.with_computed_types(entry)
    context.catalog.save()


def create_table(context: Context, statement: CreateTable, _name: str) -> StatementResult:
    skipped = _exists(context, statement, "CREATE TABLE")
    if skipped:
        return skipped
    entry = tables.table_entry(statement)
    _register(context, entry)
    return StatementResult(
        "CREATE TABLE",
        f"table `{entry.name}` created: topic with {entry.partitions} partitions, "
        f"subjects {entry.name}-value"
        + (f", {entry.name}-key" if tables.key_schema(entry) is not None else ""),
    )


def create_table_as(context: Context, statement: CreateTable, name: str) -> StatementResult:
    """The table, then the continuous query writing it; a resumed statement has its table
    already and only starts its query again."""
    resuming = context.resuming and statement.name in context.catalog.tables
    skipped = None if resuming else _exists(context, statement, "CREATE TABLE AS")
    if skipped:
        return skipped
    query = predict.rewrite(context, statement.query or "")
    entry = tables.table_entry(statement, context.flink.query_columns(query))
    if not resuming:
        _register(context, entry)
    job_id = context.submit(
        name, f"INSERT INTO {quote_identifier(entry.name)} {query}", [entry.name]
    )
    return StatementResult(
        "CREATE TABLE AS",
        f"table `{entry.name}` created; continuous query running as job {job_id}",
        job_id,
    )


def _redefine(context: Context, previous: TableEntry) -> None:
    """Declare an altered table to Flink; if Flink refuses it, the table stays as it was."""
    name = previous.name
    try:
        context.define(context.catalog.tables[name], replace=True)
    except Exception:
        context.catalog.tables[name] = previous
        context.catalog.save()
        context.define(previous, replace=True)
        raise
    context.catalog.tables[name] = context.flink.with_computed_types(context.catalog.tables[name])
    context.catalog.save()


def alter_options(context: Context, statement: AlterOptions, _name: str) -> StatementResult:
    table = table_named(context, statement.name)
    fixed = sorted(CREATION_ONLY_OPTIONS & set(statement.options))
    if fixed:
        raise DialectError(
            f"{', '.join(fixed)} can only be set when the table is created "
            "(the topic already exists with it)"
        )
    previous = copy.deepcopy(table)
    table.options.update(statement.options)
    _redefine(context, previous)
    return StatementResult("ALTER TABLE", f"table `{table.name}` altered")


def alter_watermark(context: Context, statement: AlterWatermark, _name: str) -> StatementResult:
    table = table_named(context, statement.table)
    if statement.watermark is not None:
        column = statement.watermark[0]
        if column != tables.ROWTIME and column not in {c.name for c in table.columns}:
            raise DialectError(f"watermark column `{column}` is not a column of `{table.name}`")
    previous = copy.deepcopy(table)
    table.watermark = statement.watermark
    _redefine(context, previous)
    what = "the default ($rowtime)" if statement.watermark is None else "the new one"
    return StatementResult("ALTER TABLE WATERMARK", f"table `{table.name}`: watermark is {what}")


def alter_columns(context: Context, statement: AlterColumns, _name: str) -> StatementResult:
    """Metadata and computed columns come and go freely: they are in no registered schema."""
    table = table_named(context, statement.table)
    by_name = {c.name: c for c in table.columns}
    for column in statement.added:
        if column.name in by_name:
            raise DialectError(f"column `{column.name}` already exists in `{table.name}`")
        if column.physical:
            raise DialectError(
                f"column `{column.name}`: ALTER TABLE ... ADD takes metadata and computed "
                "columns; a physical column belongs to the registered value schema (evolve it "
                "with a producer's schema, then recreate the table)"
            )
    for dropped in statement.dropped:
        if dropped not in by_name:
            raise DialectError(f"column `{dropped}` is not a column of `{table.name}`")
        if by_name[dropped].physical:
            raise DialectError(
                f"column `{dropped}` is physical (part of the registered schema); only metadata "
                "and computed columns can be dropped"
            )
        if table.watermark is not None and table.watermark[0] == dropped:
            raise DialectError(f"column `{dropped}` carries the watermark; DROP WATERMARK first")
    previous = copy.deepcopy(table)
    table.columns = [c for c in table.columns if c.name not in statement.dropped]
    table.columns += statement.added
    _redefine(context, previous)
    what = "added" if statement.added else "dropped"
    names = ", ".join(f"`{n}`" for n in [c.name for c in statement.added] + statement.dropped)
    return StatementResult("ALTER TABLE COLUMNS", f"table `{table.name}`: {names} {what}")


def drop_table(context: Context, statement: Drop, _name: str) -> StatementResult:
    if statement.name not in context.catalog.tables and statement.if_exists:
        return StatementResult(
            "DROP TABLE", f"table `{statement.name}` does not exist; nothing dropped"
        )
    table_named(context, statement.name)
    settings = context.settings
    delete_topic(settings.bootstrap_servers, statement.name, settings.kafka_security)
    registry = registry_client(settings.schema_registry_url, auth=settings.registry_auth)
    for suffix in ("key", "value"):
        delete_subject(registry, f"{statement.name}-{suffix}")
    del context.catalog.tables[statement.name]
    context.catalog.save()
    context.flink.drop(statement.name)
    return StatementResult(
        "DROP TABLE", f"table `{statement.name}` dropped with its topic and subjects"
    )


def effective_options(table: TableEntry) -> dict[str, str]:
    """The table's options with Confluent's defaults filled in, as SHOW CREATE TABLE lists."""
    options = {**TABLE_DEFAULTS, **table.options}
    options["changelog.mode"] = table.changelog_mode
    if table.key_columns:
        options.setdefault("key.format", "avro-registry")
    return dict(sorted(options.items()))


def create_table_text(table: TableEntry) -> str:
    lines = [f"  {c.sql()}" for c in table.columns]
    if table.watermark is not None:
        column, expression = table.watermark
        lines.append(f"  WATERMARK FOR {quote_identifier(column)} AS {expression}")
    text = f"CREATE TABLE {quote_identifier(table.name)} (\n" + ",\n".join(lines) + "\n)"
    if table.key_columns:
        keys = ", ".join(quote_identifier(k) for k in table.key_columns)
        text += f"\nDISTRIBUTED BY HASH({keys}) INTO {table.partitions} BUCKETS"
    else:
        text += f"\nDISTRIBUTED INTO {table.partitions} BUCKETS"
    options = ",\n".join(f"  '{k}' = '{v}'" for k, v in effective_options(table).items())
    return f"{text}\nWITH (\n{options}\n)"


def show_create_table(context: Context, statement: ShowCreate, _name: str) -> StatementResult:
    text = create_table_text(table_named(context, statement.name))
    return StatementResult("SHOW CREATE TABLE", text, columns=["SHOW CREATE"], rows=[(text,)])


def describe_table(context: Context, statement: Describe, _name: str) -> StatementResult:
    table = table_named(context, statement.name)
    rows = []
    for column in table.columns:
        extras = [column.extras()] if column.extras() else []
        if column.name in table.key_columns:
            extras.append("BUCKET KEY")
        if table.watermark and table.watermark[0] == column.name:
            extras.append(f"WATERMARK AS {table.watermark[1]}")
        rows.append(
            (column.name, column.type, "NULL" if column.nullable else "NOT NULL", ", ".join(extras))
        )
    if statement.extended:
        watermark = "" if table.watermark else ", WATERMARK AS SOURCE_WATERMARK()"
        rows.append(
            (
                tables.ROWTIME,
                "TIMESTAMP_LTZ(3) *ROWTIME*",
                "NOT NULL",
                f"METADATA VIRTUAL{watermark}, SYSTEM",
            )
        )
    return StatementResult(
        "DESCRIBE TABLE",
        f"table `{table.name}`",
        columns=["Column Name", "Data Type", "Nullable", "Extras"],
        rows=rows,
    )
