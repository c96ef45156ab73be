"""Model quality of a prediction stream, as Confluent's ML_EVALUATE measures it.

Each row carries a 0/1 label, the predicted class and the probability of class 1, optionally a
model version column; the caller names the columns. Per version: Accuracy, Precision, Recall
and F1 of the predicted class, and AUC of the probability (by the rank statistic: the chance
that a random positive scores above a random negative, ties counting half). Values are
normalised first (`values.normalise`: 0, 0.0, "0", false are one label).

Conventions: a row whose label or prediction is null or not 0/1 is skipped and counted;
Precision is 0 when nothing was predicted positive, Recall 0 when there is no positive label
(sklearn's `zero_division=0`); AUC is None (shown "n/a") with only one class or no probability.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from emulator.results.values import normalise

ALL = "all"


@dataclass(frozen=True)
class Metrics:
    rows: int  # rows evaluated (label and prediction both 0/1)
    skipped: int  # rows without a usable label or prediction
    tp: int
    fp: int
    tn: int
    fn: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    auc: float | None
    auc_rows: int  # rows with a label and a probability

    def as_map(self) -> dict[str, float | None]:
        """ML_EVALUATE's names: Accuracy, Precision, Recall, F1, plus AUC."""
        return {
            "Accuracy": self.accuracy,
            "Precision": self.precision,
            "Recall": self.recall,
            "F1": self.f1,
            "AUC": self.auc,
        }


def _binary(value: Any) -> int | None:
    value = normalise(value)
    return value if value in (0, 1) and not isinstance(value, float) else None


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def auc_score(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """ROC AUC by the Mann-Whitney rank statistic with average ranks for ties."""
    positives = sum(labels)
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        average = (start + end) / 2 + 1  # ranks are 1-based
        for position in range(start, end + 1):
            ranks[order[position]] = average
        start = end + 1
    rank_sum = sum(rank for rank, label in zip(ranks, labels, strict=True) if label == 1)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def metrics_of(
    rows: Iterable[Mapping[str, Any]], label: str, prediction: str, probability: str
) -> Metrics:
    """The metrics of one group of rows, reading the three named columns."""
    tp = fp = tn = fn = skipped = 0
    auc_labels: list[int] = []
    auc_scores: list[float] = []
    for row in rows:
        truth = _binary(row.get(label))
        predicted = _binary(row.get(prediction))
        score = normalise(row.get(probability))
        if truth is not None and isinstance(score, int | float):
            auc_labels.append(truth)
            auc_scores.append(float(score))
        if truth is None or predicted is None:
            skipped += 1
            continue
        if truth and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif truth:
            fn += 1
        else:
            tn += 1
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _ratio(2 * tp, 2 * tp + fp + fn)
    return Metrics(
        rows=tp + fp + tn + fn,
        skipped=skipped,
        tp=tp,
        fp=fp,
        tn=tn,
        fn=fn,
        accuracy=_ratio(tp + tn, tp + fp + tn + fn),
        precision=precision,
        recall=recall,
        f1=f1,
        auc=auc_score(auc_labels, auc_scores),
        auc_rows=len(auc_labels),
    )


def _version_name(value: Any) -> str:
    value = normalise(value)
    return "null" if value is None else str(value)


def evaluate(
    rows: Iterable[Mapping[str, Any]],
    version_field: str | None = None,
    *,
    label: str,
    prediction: str,
    probability: str,
) -> dict[str, Metrics]:
    """Metrics per model version (the version column's values, nulls as "null"), or under
    "all" when `version_field` is None."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        name = ALL if version_field is None else _version_name(row.get(version_field))
        groups.setdefault(name, []).append(row)

    def order(name: str) -> tuple[int, Any]:
        value = normalise(name)
        return (0, value) if isinstance(value, int | float) else (1, name)

    return {
        name: metrics_of(groups[name], label, prediction, probability)
        for name in sorted(groups, key=order)
    }


def metrics_json(metrics: Mapping[str, Metrics]) -> dict[str, Any]:
    """JSON-ready data per version: ML_EVALUATE's names plus the counts behind them."""
    return {name: {**m.as_map(), **asdict(m)} for name, m in metrics.items()}
