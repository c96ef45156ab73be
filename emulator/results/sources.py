"""Where a side's rows come from: an existing path is a file, anything else a topic name."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from common.errors import CcflinkError
from emulator.results.consume_output import DEFAULT_DELIMITER
from emulator.results.files import load_file
from emulator.results.topic import DEFAULT_IDLE_SECONDS, load_topic
from emulator.results.values import Row


class SourceNotFound(CcflinkError):
    """Neither a file nor a topic on a known cluster."""


def load_rows(
    source: str,
    *,
    fmt: str = "auto",
    key: str | None = None,
    delimiter: str = DEFAULT_DELIMITER,
    bootstrap_servers: str | None = None,
    registry_url: str | None = None,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    security: Mapping[str, str] | None = None,
    registry_auth: tuple[str, str] | None = None,
) -> list[Row]:
    """A file when `source` is an existing path, else a topic on the given cluster."""
    if Path(source).is_file():
        return load_file(source, fmt, key, delimiter)
    if bootstrap_servers is None or registry_url is None:
        raise SourceNotFound(f"{source} is not a file, and no cluster to read it as a topic")
    return load_topic(
        source,
        bootstrap_servers,
        registry_url,
        idle_seconds,
        security=security,
        registry_auth=registry_auth,
    )
