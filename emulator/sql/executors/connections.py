"""CREATE, DROP and DESCRIBE CONNECTION: named endpoints with their keys, as Confluent's."""

from __future__ import annotations

from emulator.catalog import Connection
from emulator.dialect.catalog_statements import CreateConnection, Describe, Drop
from emulator.dialect.secrets import mask
from emulator.dialect.text import DialectError
from emulator.sql.context import Context
from emulator.sql.result import StatementResult


def create_connection(context: Context, statement: CreateConnection, _name: str) -> StatementResult:
    catalog = context.catalog
    if statement.name in catalog.connections:
        if statement.if_not_exists:
            return StatementResult(
                "CREATE CONNECTION", f"connection `{statement.name}` exists already; skipped"
            )
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
    return StatementResult("CREATE CONNECTION", f"connection `{statement.name}` created")


def drop_connection(context: Context, statement: Drop, _name: str) -> StatementResult:
    catalog = context.catalog
    if statement.name not in catalog.connections:
        if statement.if_exists:
            return StatementResult(
                "DROP CONNECTION", f"connection `{statement.name}` does not exist"
            )
        raise DialectError(f"Connection '{statement.name}' does not exist.")
    del catalog.connections[statement.name]
    catalog.save()
    return StatementResult("DROP CONNECTION", f"connection `{statement.name}` dropped")


def describe_connection(context: Context, statement: Describe, _name: str) -> StatementResult:
    connection = context.catalog.connections.get(statement.name)
    if connection is None:
        raise DialectError(f"Connection '{statement.name}' does not exist.")
    return StatementResult(
        "DESCRIBE CONNECTION",
        f"connection `{connection.name}`",
        columns=["Name", "Type", "Endpoint", "Cloud", "Region", "API key"],
        rows=[
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
