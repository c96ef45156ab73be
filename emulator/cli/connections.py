"""`ccflink flink connection ...`: connections to model endpoints, as the confluent CLI's."""

from __future__ import annotations

import argparse

from emulator import config
from emulator.catalog import Catalog, CatalogError, Connection
from emulator.cli.output import format_rows, say
from emulator.cli.secret_input import read_secret
from emulator.config import Settings
from emulator.dialect.secrets import mask


def _connection(settings: Settings, name: str) -> tuple[Catalog, Connection]:
    catalog = Catalog.for_state(settings.state_dir)
    connection = catalog.connections.get(name)
    if connection is None:
        raise CatalogError(f"connection {name!r} does not exist; `ccflink flink connection list`")
    return catalog, connection


def _api_key(args: argparse.Namespace) -> str:
    return read_secret(
        args.api_key,
        config.connection_api_key(),
        flag="--api-key",
        env=config.CONNECTION_API_KEY_ENV,
        what=f"API key for connection {args.name!r}",
    )


def cmd_connection_create(settings: Settings, args: argparse.Namespace) -> int:
    catalog = Catalog.for_state(settings.state_dir)
    if args.name in catalog.connections:
        raise CatalogError(f"connection {args.name!r} already exists; `update` changes its key")
    catalog.connections[args.name] = Connection(
        name=args.name,
        type=args.type.lower(),
        endpoint=args.endpoint,
        api_key=_api_key(args),
        cloud=args.cloud,
        region=args.region,
    )
    catalog.save()
    say(f"Created connection {args.name!r} ({args.type}, {args.endpoint}).")
    return 0


def cmd_connection_list(settings: Settings, args: argparse.Namespace) -> int:
    catalog = Catalog.for_state(settings.state_dir)
    wanted = {"type": args.type, "cloud": args.cloud, "region": args.region}
    rows = [
        (c.name, c.type.upper(), c.endpoint, c.cloud or "", c.region or "")
        for c in sorted(catalog.connections.values(), key=lambda c: c.name)
        if all(
            value is None or (getattr(c, field) or "").lower() == value.lower()
            for field, value in wanted.items()
        )
    ]
    say(format_rows(["Name", "Type", "Endpoint", "Cloud", "Region"], rows))
    return 0


def cmd_connection_describe(settings: Settings, args: argparse.Namespace) -> int:
    _, connection = _connection(settings, args.name)
    for label, value in (
        ("Name", connection.name),
        ("Type", connection.type.upper()),
        ("Endpoint", connection.endpoint),
        ("Cloud", connection.cloud or "-"),
        ("Region", connection.region or "-"),
        ("API key", mask(connection.api_key)),
    ):
        say(f"{label:<9} {value}")
    return 0


def cmd_connection_update(settings: Settings, args: argparse.Namespace) -> int:
    catalog, connection = _connection(settings, args.name)
    connection.api_key = _api_key(args)
    connection.cloud = args.cloud or connection.cloud
    connection.region = args.region or connection.region
    catalog.save()
    where = f"cloud {connection.cloud}, region {connection.region}"
    say(f"Updated connection {args.name!r}: its API key; {where}.")
    return 0


def cmd_connection_delete(settings: Settings, args: argparse.Namespace) -> int:
    catalog, _ = _connection(settings, args.name)
    del catalog.connections[args.name]
    catalog.save()
    say(f"Deleted connection {args.name!r}.")
    return 0
