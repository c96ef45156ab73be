"""What the Quix pipeline's join needs of Flink's semantics, apart from Quix itself: the
event-time watermark and the joined row (so both are tested without the Quix venv)."""

from __future__ import annotations

from typing import Any

KEY = "TransactionID"
WATERMARK_DELAY_MS = 200  # $rowtime - INTERVAL '0.2' SECOND (emulator/tables.py)

Row = dict[str, Any]


class Watermark:
    """Flink's event-time watermark over both topics: the oldest of every partition's newest
    record time, less the delay; none until every partition has had a record (the pipeline
    turns source idleness off, so an empty partition holds it back there too)."""

    def __init__(self, partitions: int, delay_ms: int = WATERMARK_DELAY_MS) -> None:
        self._sources = 2 * partitions
        self._newest: dict[tuple[str, int], int] = {}
        self._delay_ms = delay_ms

    def advance(self, topic: str, partition: int, timestamp_ms: int) -> int | None:
        """Take one record's time into account; the watermark after it."""
        source = (topic, partition)
        if timestamp_ms > self._newest.get(source, timestamp_ms - 1):
            self._newest[source] = timestamp_ms
        if len(self._newest) < self._sources:
            return None
        return min(self._newest.values()) - self._delay_ms


def joined(transaction: Row, identity: Row | None) -> Row:
    """`t.*` with the identity row's columns (none for an unmatched transaction)."""
    row = dict(transaction)
    if identity is not None:
        row.update((name, value) for name, value in identity.items() if name != KEY)
    return row
