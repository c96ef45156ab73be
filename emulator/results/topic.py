"""Rows of a local Avro topic (Confluent's wire format), read from the beginning until idle:
committed records only, as Flink and Confluent's readers see a topic statements write."""

from __future__ import annotations

import time
from collections.abc import Mapping

from emulator import topic_reader
from emulator.results.values import Row, clean, merge_key

DEFAULT_IDLE_SECONDS = 5.0


def load_topic(
    topic: str,
    bootstrap_servers: str,
    registry_url: str,
    idle_seconds: float = DEFAULT_IDLE_SECONDS,
    max_seconds: float | None = None,
    *,
    start_offsets: Mapping[int, int] | None = None,
    security: Mapping[str, str] | None = None,
    registry_auth: tuple[str, str] | None = None,
) -> list[Row]:
    """Every record of an Avro topic from the beginning (or from `start_offsets`, partition ->
    offset: what arrived since they were taken), until none arrived for `idle_seconds`.

    Key fields (when the key is a record) are added to the value where it lacks them.
    """
    reader = topic_reader.AvroTopicReader(
        bootstrap_servers,
        registry_url,
        topic,
        start_offsets=start_offsets,
        security=security,
        registry_auth=registry_auth,
    )
    rows: list[Row] = []
    started = last = time.monotonic()
    try:
        while time.monotonic() - last < idle_seconds:
            if max_seconds is not None and time.monotonic() - started >= max_seconds:
                break
            batch = reader.poll(timeout_ms=500)
            for record in batch:
                rows.append(merge_key(clean(record.value), record.key, None))
            if batch:
                last = time.monotonic()
    finally:
        reader.close()
    return rows
