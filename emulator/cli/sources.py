"""What `ccflink compare` and `ccflink evaluate` share: reading a source given on the command line.

A source is a file when that path exists (an export, read as the Confluent tools write it),
else a topic, read from the flags' cluster or else the settings' one (the local stack).
"""

from __future__ import annotations

import argparse

from emulator.config import Settings
from emulator.results.consume_output import DEFAULT_DELIMITER
from emulator.results.sources import load_rows
from emulator.results.topic import DEFAULT_IDLE_SECONDS
from emulator.results.values import Row

UNREADABLE_INPUT = 2  # the exit status when a source cannot be read or does not fit the command


def add_cluster_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say where, and how long, a source that is not a file is read."""
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=DEFAULT_IDLE_SECONDS,
        help="a topic is read until no record arrived for this long",
    )
    parser.add_argument("--bootstrap-servers", help="Kafka for a topic (default: the local stack)")
    parser.add_argument("--registry-url", help="Schema Registry for a topic (default: local stack)")


def add_file_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags that say how a source that is a file is read."""
    parser.add_argument(
        "--delimiter",
        default=DEFAULT_DELIMITER,
        help="between key and value in `confluent kafka topic consume --print-key` output: "
        "the --delimiter given to it (default: a tab, as its default)",
    )


def read_source(
    settings: Settings | None, args: argparse.Namespace, source: str, fmt: str, key: str | None
) -> list[Row]:
    """The rows of `source`; `key` names the column a scalar record key fills. A topic of the
    stack in use is read with its keys (a profile, `up --secure`); one named by
    --bootstrap-servers without them."""
    login = settings if settings is not None and args.bootstrap_servers is None else None
    return load_rows(
        source,
        fmt=fmt,
        key=key,
        delimiter=args.delimiter,
        bootstrap_servers=args.bootstrap_servers or getattr(settings, "bootstrap_servers", None),
        registry_url=args.registry_url or getattr(settings, "schema_registry_url", None),
        idle_seconds=args.idle_seconds,
        security=login.kafka_security if login is not None else None,
        registry_auth=login.registry_auth if login is not None else None,
    )
