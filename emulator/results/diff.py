"""Two runs' rows joined on a key column and compared: one field's agreement, every other column.

A key seen more than once on one side is reported and its last row is used. Rows without a key
are counted and left out. Values are compared in their normalised form (`values.normalise`).
The compared field may have a different name on each side (`fields.FieldChoice`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.results.fields import FieldChoice
from emulator.results.values import Row, is_number, normalise

DEFAULT_SHOW = 10
DEFAULT_MIN_AGREEMENT = 0.99  # the agreement a comparison passes at, unless told otherwise


@dataclass
class Side:
    """What one input held: rows read, distinct keys, duplicates and rows without a key."""

    rows: int = 0
    keys: int = 0
    missing_key: int = 0
    duplicate_keys: int = 0  # keys seen more than once
    duplicate_rows: int = 0  # rows dropped because a later row had the same key
    duplicate_examples: list[Any] = field(default_factory=list)
    field_nulls: int = 0  # rows whose compared field is null


@dataclass
class Mismatch:
    key: Any
    local: Any
    cloud: Any


@dataclass
class NumericDifference:
    """One numeric column compared over the matched rows."""

    field: str
    compared: int
    differing: int
    max_abs_diff: float
    mean_abs_diff: float
    largest: list[tuple[Any, Any, Any, float]]  # (key, local, cloud, |difference|)


@dataclass
class ComparisonReport:
    key: str
    field: str  # the compared column's local name
    cloud_field: str  # its cloud name
    field_reason: str | None  # why it was chosen, when the user did not name it
    local: Side
    cloud: Side
    matched: int
    only_local: int
    only_cloud: int
    only_local_examples: list[Any]
    only_cloud_examples: list[Any]
    agreements: int
    confusion: dict[tuple[Any, Any], int]  # (local value, cloud value) -> rows
    mismatches: list[Mismatch]  # the first ones, in local order
    mismatch_count: int
    numeric: list[NumericDifference]
    other_differences: dict[str, int]  # non-numeric column -> matched rows where it differs

    @property
    def agreement(self) -> float | None:
        """Share of matched rows whose field agrees; None when no row matched."""
        return self.agreements / self.matched if self.matched else None

    def passes(self, min_agreement: float) -> bool:
        return self.agreement is not None and self.agreement >= min_agreement


def index_rows(rows: Iterable[Mapping[str, Any]], key: str, show: int) -> tuple[dict, Side]:
    """Rows by normalised key (the last row wins), and what was seen on the way."""
    side = Side()
    indexed: dict[Any, Row] = {}
    seen: Counter = Counter()
    for row in rows:
        side.rows += 1
        value = normalise(row.get(key))
        if value is None:
            side.missing_key += 1
            continue
        seen[value] += 1
        if value in indexed:
            side.duplicate_rows += 1
            if seen[value] == 2:
                side.duplicate_keys += 1
                if len(side.duplicate_examples) < show:
                    side.duplicate_examples.append(value)
        indexed[value] = dict(row)
    side.keys = len(indexed)
    return indexed, side


def sort_key(value: Any) -> tuple[int, Any]:
    """Orders normalised values of mixed types: nulls, then numbers, then strings."""
    if value is None:
        return (0, 0)
    if is_number(value):
        return (1, value)
    return (2, str(value))


def compare(
    local_rows: Iterable[Mapping[str, Any]],
    cloud_rows: Iterable[Mapping[str, Any]],
    key: str,
    field: str | FieldChoice,
    show: int = DEFAULT_SHOW,
    tolerance: float = 1e-9,
) -> ComparisonReport:
    """Join both sides on `key` and compare `field` (and every other column) row by row."""
    choice = field if isinstance(field, FieldChoice) else FieldChoice(field, field)
    local, local_side = index_rows(local_rows, key, show)
    cloud, cloud_side = index_rows(cloud_rows, key, show)
    only_local = [k for k in local if k not in cloud]
    only_cloud = [k for k in cloud if k not in local]
    matched = [k for k in local if k in cloud]

    for side, indexed, name in (
        (local_side, local, choice.local),
        (cloud_side, cloud, choice.cloud),
    ):
        side.field_nulls = sum(1 for row in indexed.values() if normalise(row.get(name)) is None)

    confusion: Counter = Counter()
    mismatches: list[Mismatch] = []
    mismatch_count = 0
    diffs: dict[str, list[tuple[Any, Any, Any, float]]] = {}
    compared: Counter = Counter()
    other: Counter = Counter()
    for k in matched:
        left, right = local[k], cloud[k]
        a, b = normalise(left.get(choice.local)), normalise(right.get(choice.cloud))
        confusion[(a, b)] += 1
        if a != b:
            mismatch_count += 1
            if len(mismatches) < show:
                mismatches.append(Mismatch(k, a, b))
        for column in left.keys() & right.keys():
            if column in (key, choice.local, choice.cloud):
                continue
            x, y = normalise(left[column]), normalise(right[column])
            if is_number(x) and is_number(y):
                compared[column] += 1
                diffs.setdefault(column, []).append((k, x, y, abs(float(x) - float(y))))
            elif x != y:
                other[column] += 1

    numeric = []
    for column in sorted(diffs):
        values = diffs[column]
        largest = sorted(values, key=lambda item: item[3], reverse=True)[:show]
        numeric.append(
            NumericDifference(
                field=column,
                compared=compared[column],
                differing=sum(1 for item in values if item[3] > tolerance),
                max_abs_diff=max(item[3] for item in values),
                mean_abs_diff=sum(item[3] for item in values) / len(values),
                largest=[item for item in largest if item[3] > tolerance],
            )
        )
    return ComparisonReport(
        key=key,
        field=choice.local,
        cloud_field=choice.cloud,
        field_reason=choice.reason,
        local=local_side,
        cloud=cloud_side,
        matched=len(matched),
        only_local=len(only_local),
        only_cloud=len(only_cloud),
        only_local_examples=only_local[:show],
        only_cloud_examples=only_cloud[:show],
        agreements=len(matched) - mismatch_count,
        confusion=dict(sorted(confusion.items(), key=lambda kv: tuple(map(sort_key, kv[0])))),
        mismatches=mismatches,
        mismatch_count=mismatch_count,
        numeric=numeric,
        other_differences=dict(sorted(other.items())),
    )


def confusion_labels(report: ComparisonReport) -> tuple[list[Any], list[Any]]:
    """The local and the cloud values seen in the confusion matrix, each in `sort_key` order."""
    local = sorted({a for a, _ in report.confusion}, key=sort_key)
    cloud = sorted({b for _, b in report.confusion}, key=sort_key)
    return local, cloud
