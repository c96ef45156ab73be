"""The load and what came of it: replaying the files into the stack, and reading back when
each transaction reached a topic (from the records' own timestamps)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from benchmarks.topics import Record
from common.avro.decoder import AvroDecoder
from emulator.config import Settings
from producers.produce import produce_dataset


def now_ms() -> int:
    """Wall-clock milliseconds, the unit of Kafka's record timestamps."""
    return time.time_ns() // 1_000_000


def first_timestamps(records: Iterable[Record], decode: AvroDecoder, part: str) -> dict[int, int]:
    """TransactionID -> the earliest record timestamp with it (a restarted job may repeat one)."""
    first: dict[int, int] = {}
    for record in records:
        raw = record.key if part == "key" else record.value
        if raw is None:
            continue
        transaction = decode(raw)["TransactionID"]
        if transaction not in first or record.timestamp_ms < first[transaction]:
            first[transaction] = record.timestamp_ms
    return first


def replay(settings: Settings, data_dir: Path, **options: object) -> tuple[int, int]:
    """Produce both files; returns how many transactions and identity rows were sent."""
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        data_dir,
        settings.state_dir / "dead-letters",
        show_progress=False,
        **options,  # type: ignore[arg-type]
    )
    return summaries[0].sent, summaries[1].sent
