"""Score distributions as histograms: how many rows' score fell in each of equal bins.

The workspace draws them (evaluate's scores per label, compare's local and cloud scores side by
side); the bins are made here, once, over a fixed range (a probability's 0..1 by default), so
two runs' histograms share their bins and can be set side by side. Scores are read in their
normalised form (`values.normalise`); a row without a numeric score is counted as missing, one
outside the range as below or above it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.results.values import is_number, normalise

BINS = 20


@dataclass(frozen=True)
class Histogram:
    edges: list[float]  # bins + 1 edges, low to high
    counts: list[int]  # rows per bin; the last bin holds `high` itself
    below: int = 0  # scores under `low`
    above: int = 0  # scores over `high`
    missing: int = 0  # rows whose score is null or not a number


def histogram(
    values: Iterable[Any], bins: int = BINS, low: float = 0.0, high: float = 1.0
) -> Histogram:
    """The values counted in `bins` equal bins from `low` to `high`."""
    if bins < 1 or not high > low:
        raise ValueError(f"a histogram needs bins >= 1 and high > low (got {bins}, {low}..{high})")
    width = (high - low) / bins
    counts = [0] * bins
    below = above = missing = 0
    for value in values:
        value = normalise(value)
        if not is_number(value):
            missing += 1
        elif value < low:
            below += 1
        elif value > high:
            above += 1
        else:
            counts[min(int((value - low) / width), bins - 1)] += 1
    edges = [low + index * width for index in range(bins)] + [high]
    return Histogram(edges, counts, below, above, missing)


def histograms_by(
    rows: Iterable[Mapping[str, Any]], score: str, group: str, bins: int = BINS
) -> dict[str, Histogram]:
    """One histogram of `score` per value of the `group` column (a label: "0", "1"; nulls as
    "null"), in the groups' sorted order."""
    groups: dict[str, list[Any]] = {}
    for row in rows:
        name = normalise(row.get(group))
        groups.setdefault("null" if name is None else str(name), []).append(row.get(score))
    return {name: histogram(groups[name], bins) for name in sorted(groups)}
