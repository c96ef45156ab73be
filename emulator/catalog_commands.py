"""Answers to SHOW / DESCRIBE / SHOW CREATE / DROP / ALTER and CREATE CONNECTION.

These read and change the emulator's catalog (and, for DROP TABLE, the topic and its
subjects); nothing here talks to Flink, so the session only has to re-register or drop the
Flink table afterwards.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from emulator.catalog import Catalog, Connection, Model, TableEntry
from emulator.config import Settings
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
)
from emulator.dialect.text import DialectError, quote_identifier
from emulator.kafka.topics import delete_topic
from emulator.schema_registry.client import SchemaRegistryClient

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
SECRET_OPTIONS = {"api-key", "api_key", "azureml.api_key"}


@dataclass
class CommandResult:
    message: str
    columns: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    changed_table: str | None = None  # re-register this table's Flink DDL
    dropped_table: str | None = None  # drop this table from Flink's session catalog


def mask(value: str) -> str:
    """Confluent shows secrets redacted; keep the last 4 characters to tell keys apart."""
    return "*****" + value[-4:] if len(value) > 8 else "*****"


def effective_options(table: TableEntry) -> dict[str, str]:
    options = {**TABLE_DEFAULTS, **table.options}
    options["changelog.mode"] = table.changelog_mode
    if table.key_columns:
        options.setdefault("key.format", "avro-registry")
    return dict(sorted(options.items()))


def show_create_table(table: TableEntry) -> str:
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


def show_create_model(model: Model, version: str | None = None) -> str:
    entry = model.get(version)

    def columns(cols) -> str:
        return ",\n".join(f"  {c.sql()}" for c in cols)

    options = {k: (mask(v) if k in SECRET_OPTIONS else v) for k, v in sorted(entry.options.items())}
    text = f"CREATE MODEL {quote_identifier(model.name)}\n"
    text += f"INPUT (\n{columns(entry.inputs)}\n)\nOUTPUT (\n{columns(entry.outputs)}\n)\n"
    if entry.comment:
        text += "COMMENT '" + entry.comment.replace("'", "''") + "'\n"
    with_clause = ",\n".join(f"  '{k}' = '{v}'" for k, v in options.items())
    return text + f"WITH (\n{with_clause}\n)"


def _like(names: list[str], pattern: str | None) -> list[str]:
    if pattern is None:
        return sorted(names)
    glob = pattern.replace("%", "*").replace("_", "?")
    return sorted(n for n in names if fnmatch.fnmatchcase(n, glob))


def _table(catalog: Catalog, name: str) -> TableEntry:
    if name not in catalog.tables:
        raise DialectError(f"Table '{name}' does not exist. SHOW TABLES lists the tables.")
    return catalog.tables[name]


def _model_and_version(catalog: Catalog, reference: str) -> tuple[Model, str | None]:
    name, _, version = reference.partition("$")
    if name not in catalog.models:
        raise DialectError(f"Model '{name}' does not exist. SHOW MODELS lists the models.")
    return catalog.models[name], version or None


def execute(settings: Settings, catalog: Catalog, statement: CatalogStatement) -> CommandResult:
    handler = {
        Show: _show,
        Describe: _describe,
        ShowCreate: _show_create,
        Drop: _drop,
        AlterOptions: _alter_options,
        AlterWatermark: _alter_watermark,
        AlterColumns: _alter_columns,
        CreateConnection: _create_connection,
    }[type(statement)]
    return handler(settings, catalog, statement)


def _show(_settings: Settings, catalog: Catalog, statement: Show) -> CommandResult:
    source = {
        "TABLES": catalog.tables,
        "MODELS": catalog.models,
        "CONNECTIONS": catalog.connections,
    }[statement.kind]
    names = _like(list(source), statement.like)
    column = {"TABLES": "Table Name", "MODELS": "Model Name", "CONNECTIONS": "Name"}
    return CommandResult(
        f"{len(names)} {statement.kind.lower()}",
        [column[statement.kind]],
        [(n,) for n in names],
    )


def _describe(_settings: Settings, catalog: Catalog, statement: Describe) -> CommandResult:
    if statement.kind == "MODEL":
        model, version = _model_and_version(catalog, statement.name)
        versions = model.versions if version in (None, "all") else [model.get(version)]
        rows = []
        for entry in versions:
            for role, columns in (("input", entry.inputs), ("output", entry.outputs)):
                for column in columns:
                    rows.append(
                        (
                            str(entry.version),
                            entry.version == model.default_version,
                            role,
                            column.name,
                            column.type,
                        )
                    )
        return CommandResult(
            f"model `{model.name}`: {len(model.versions)} version(s), "
            f"default {model.default_version}",
            ["VersionId", "IsDefaultVersion", "Role", "Column Name", "Data Type"],
            rows,
        )
    if statement.kind == "CONNECTION":
        if statement.name not in catalog.connections:
            raise DialectError(f"Connection '{statement.name}' does not exist.")
        connection = catalog.connections[statement.name]
        return CommandResult(
            f"connection `{connection.name}`",
            ["Name", "Type", "Endpoint", "Cloud", "Region", "API key"],
            [
                (
                    connection.name,
                    connection.type.upper(),
                    connection.endpoint,
                    connection.cloud,
                    connection.region,
                    mask(connection.api_key),
                )
            ],
        )
    table = _table(catalog, statement.name)
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
                "$rowtime",
                "TIMESTAMP_LTZ(3) *ROWTIME*",
                "NOT NULL",
                f"METADATA VIRTUAL{watermark}, SYSTEM",
            )
        )
    return CommandResult(
        f"table `{table.name}`", ["Column Name", "Data Type", "Nullable", "Extras"], rows
    )


def _show_create(_settings: Settings, catalog: Catalog, statement: ShowCreate) -> CommandResult:
    if statement.kind == "MODEL":
        model, version = _model_and_version(catalog, statement.name)
        text = show_create_model(model, version)
    else:
        text = show_create_table(_table(catalog, statement.name))
    return CommandResult(text, ["SHOW CREATE"], [(text,)])


def _drop(settings: Settings, catalog: Catalog, statement: Drop) -> CommandResult:
    if statement.kind == "TABLE":
        if statement.name not in catalog.tables:
            if statement.if_exists:
                return CommandResult(f"table `{statement.name}` does not exist; nothing dropped")
            _table(catalog, statement.name)
        delete_topic(settings.bootstrap_servers, statement.name, settings.kafka_security)
        registry = SchemaRegistryClient(settings.schema_registry_url, auth=settings.registry_auth)
        for suffix in ("key", "value"):
            registry.delete_subject(f"{statement.name}-{suffix}")
        del catalog.tables[statement.name]
        catalog.save()
        return CommandResult(
            f"table `{statement.name}` dropped with its topic and subjects",
            dropped_table=statement.name,
        )
    if statement.kind == "CONNECTION":
        if statement.name not in catalog.connections:
            if statement.if_exists:
                return CommandResult(f"connection `{statement.name}` does not exist")
            raise DialectError(f"Connection '{statement.name}' does not exist.")
        del catalog.connections[statement.name]
        catalog.save()
        return CommandResult(f"connection `{statement.name}` dropped")
    name = statement.name.partition("$")[0]
    if name not in catalog.models and statement.if_exists:
        return CommandResult(f"model `{name}` does not exist; nothing dropped")
    model, version = _model_and_version(catalog, statement.name)
    return _drop_model_version(catalog, model, version)


def _drop_model_version(catalog: Catalog, model: Model, version: str | None) -> CommandResult:
    if version == "all":
        del catalog.models[model.name]
        catalog.save()
        return CommandResult(f"model `{model.name}` dropped with all its versions")
    entry = model.get(version)  # no version: the default version, as on Confluent
    model.versions.remove(entry)
    if not model.versions:
        del catalog.models[model.name]
        catalog.save()
        return CommandResult(f"model `{model.name}` dropped (its last version)")
    if entry.version == model.default_version:
        model.default_version = min(v.version for v in model.versions)
    catalog.save()
    return CommandResult(
        f"version {entry.version} of model `{model.name}` dropped; "
        f"default version: {model.default_version}"
    )


def _alter_options(_settings: Settings, catalog: Catalog, statement: AlterOptions) -> CommandResult:
    if statement.kind == "MODEL":
        model, version = _model_and_version(catalog, statement.name)
        options = dict(statement.options)
        if "default_version" in options:
            wanted = options.pop("default_version")
            model.get(wanted)  # refuses a version that does not exist
            model.default_version = int(wanted)
        if options:
            entry = model.get(version)
            entry.options.update({k.lower(): v for k, v in options.items()})
        catalog.save()
        return CommandResult(
            f"model `{model.name}` altered; default version: {model.default_version}"
        )
    table = _table(catalog, statement.name)
    fixed = sorted(CREATION_ONLY_OPTIONS & set(statement.options))
    if fixed:
        raise DialectError(
            f"{', '.join(fixed)} can only be set when the table is created "
            "(the topic already exists with it)"
        )
    table.options.update(statement.options)
    catalog.save()
    return CommandResult(f"table `{table.name}` altered", changed_table=table.name)


def _alter_watermark(
    _settings: Settings, catalog: Catalog, statement: AlterWatermark
) -> CommandResult:
    table = _table(catalog, statement.table)
    if statement.watermark is not None:
        column = statement.watermark[0]
        if column != "$rowtime" and column not in {c.name for c in table.columns}:
            raise DialectError(f"watermark column `{column}` is not a column of `{table.name}`")
    table.watermark = statement.watermark
    catalog.save()
    what = "the default ($rowtime)" if statement.watermark is None else "the new one"
    return CommandResult(f"table `{table.name}`: watermark is {what}", changed_table=table.name)


def _alter_columns(_settings: Settings, catalog: Catalog, statement: AlterColumns) -> CommandResult:
    """Metadata and computed columns come and go freely: they are in no registered schema."""
    table = _table(catalog, statement.table)
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
    for name in statement.dropped:
        if name not in by_name:
            raise DialectError(f"column `{name}` is not a column of `{table.name}`")
        if by_name[name].physical:
            raise DialectError(
                f"column `{name}` is physical (part of the registered schema); only metadata "
                "and computed columns can be dropped"
            )
        if table.watermark is not None and table.watermark[0] == name:
            raise DialectError(f"column `{name}` carries the watermark; DROP WATERMARK first")
    table.columns = [c for c in table.columns if c.name not in statement.dropped]
    table.columns += statement.added
    catalog.save()
    what = "added" if statement.added else "dropped"
    names = ", ".join(f"`{n}`" for n in [c.name for c in statement.added] + statement.dropped)
    return CommandResult(f"table `{table.name}`: {names} {what}", changed_table=table.name)


def _create_connection(
    _settings: Settings, catalog: Catalog, statement: CreateConnection
) -> CommandResult:
    if statement.name in catalog.connections:
        if statement.if_not_exists:
            return CommandResult(f"connection `{statement.name}` exists already; skipped")
        raise DialectError(f"Connection '{statement.name}' already exists.")
    options = statement.options
    kind = options.get("type", "").lower()
    if kind != "azureml":
        raise DialectError(
            f"connection type {kind or '(none)'!r} is not emulated; use 'type' = 'azureml'"
        )
    key = options.get("api-key", options.get("api_key"))
    if "endpoint" not in options or key is None:
        raise DialectError("an azureml connection needs 'endpoint' and 'api-key'")
    catalog.connections[statement.name] = Connection(
        name=statement.name, type=kind, endpoint=options["endpoint"], api_key=key
    )
    catalog.save()
    return CommandResult(f"connection `{statement.name}` created")
