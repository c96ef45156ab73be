"""ccflink's predictions and the Quix pipeline's, read back and compared row by row."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.topics import Topic

Prediction = tuple[Any, ...]  # the model's OUTPUT values, in order


@dataclass(frozen=True)
class Predictions:
    """Each TransactionID's first prediction, and when the first and last were written."""

    values: dict[int, Prediction]
    first_ms: int
    last_ms: int

    @property
    def rate(self) -> float:
        """Scored transactions per second, first to last prediction (as pipeline_end_to_end)."""
        seconds = (self.last_ms - self.first_ms) / 1000
        return len(self.values) / seconds if seconds > 0 else 0.0


def read_predictions(
    topic: Topic, decode: Callable[[bytes], dict[str, Any]], outputs: list[str]
) -> Predictions:
    """A predictions topic read whole; a TransactionID written twice keeps its first row."""
    values: dict[int, Prediction] = {}
    stamps: list[int] = []
    for record in topic.records():
        if record.value is None:
            continue
        row = decode(record.value)
        values.setdefault(row["TransactionID"], tuple(row[name] for name in outputs))
        stamps.append(record.timestamp_ms)
    if not stamps:
        raise RuntimeError(f"no prediction in {topic.name}")
    return Predictions(values, min(stamps), max(stamps))


def json_values(value: bytes) -> dict[str, Any]:
    """The Quix pipeline's rows (JSON)."""
    return json.loads(value)


@dataclass(frozen=True)
class Comparison:
    """Which transactions both scored, and whether every one of them got the same values."""

    both: int
    differing: list[int]  # TransactionIDs scored by both with other values
    only_first: list[int]
    only_second: list[int]

    @property
    def identical(self) -> bool:
        return not (self.differing or self.only_first or self.only_second)


def compare(first: Predictions, second: Predictions) -> Comparison:
    common = first.values.keys() & second.values.keys()
    return Comparison(
        both=len(common),
        differing=sorted(t for t in common if first.values[t] != second.values[t]),
        only_first=sorted(first.values.keys() - second.values.keys()),
        only_second=sorted(second.values.keys() - first.values.keys()),
    )
