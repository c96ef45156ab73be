"""Model quality on the prediction stream, shown the way Confluent's ML_EVALUATE shows it.

Each row carries the label (`isFraud`), the predicted class (`predicted_fraud`) and the
probability of fraud (`fraud_probability`), optionally a model version column. Per version:
Accuracy, Precision, Recall and F1 of the predicted class, and AUC of the probability (by the
rank statistic: the chance that a random fraud scores above a random non-fraud, ties counting
half). Values are normalised as in `emulator.compare` (0, 0.0, "0", false are one label).

Conventions: a row whose label or prediction is null or not 0/1 is skipped and counted;
Precision is 0 when nothing was predicted positive, Recall 0 when there is no positive label
(sklearn's `zero_division=0`); AUC is None (shown "n/a") with only one class or no probability.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from emulator.compare import DEFAULT_IDLE_SECONDS, FORMATS, load_rows, normalise

LABEL = "isFraud"
PREDICTION = "predicted_fraud"
PROBABILITY = "fraud_probability"
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
    rows: Iterable[Mapping[str, Any]],
    label: str = LABEL,
    prediction: str = PREDICTION,
    probability: str = PROBABILITY,
) -> Metrics:
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
    label: str = LABEL,
    prediction: str = PREDICTION,
    probability: str = PROBABILITY,
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


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def format_map(metrics: Metrics) -> str:
    """One version as Flink prints ML_EVALUATE's MAP: {Accuracy=..., Precision=..., ...}."""
    return "{" + ", ".join(f"{k}={_number(v)}" for k, v in metrics.as_map().items()) + "}"


def format_metrics(metrics: Mapping[str, Metrics], title: str | None = None) -> str:
    """A table (one row per version), then each version's ML_EVALUATE-style map."""
    if not metrics:
        return (f"{title}\n" if title else "") + "no prediction rows\n"
    headers = ["version", "rows", "Accuracy", "Precision", "Recall", "F1", "AUC", "TP FP TN FN"]
    body = [
        [
            name,
            str(m.rows),
            _number(m.accuracy),
            _number(m.precision),
            _number(m.recall),
            _number(m.f1),
            _number(m.auc),
            f"{m.tp} {m.fp} {m.tn} {m.fn}",
        ]
        for name, m in metrics.items()
    ]
    widths = [max([len(h)] + [len(r[i]) for r in body]) for i, h in enumerate(headers)]
    out = [title] if title else []
    out.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    for row in body:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        out.append("  ".join(cells).rstrip())
    skipped = sum(m.skipped for m in metrics.values())
    if skipped:
        out.append(f"({skipped} rows without a 0/1 label or prediction were skipped)")
    out.append("")
    for name, m in metrics.items():
        out.append(f"{name}: {format_map(m)}")
    return "\n".join(out) + "\n"


def metrics_json(metrics: Mapping[str, Metrics]) -> dict[str, Any]:
    return {name: {**m.as_map(), **asdict(m)} for name, m in metrics.items()}


# --------------------------------------------------------------------------- command line


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of `ccflink evaluate` (optional command; `evaluate()` is the API)."""
    parser.add_argument(
        "--input",
        default="fraud_predictions",
        help="predictions: a topic name, or a file if that exists (default fraud_predictions)",
    )
    parser.add_argument("--format", choices=FORMATS, default="auto", help="file format")
    parser.add_argument("--label", default=LABEL)
    parser.add_argument("--prediction", default=PREDICTION)
    parser.add_argument("--probability", default=PROBABILITY)
    parser.add_argument("--version-field", help="column holding the model version, if any")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--idle-seconds", type=float, default=DEFAULT_IDLE_SECONDS)
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--registry-url")
    return parser


def cmd_evaluate(settings: Any, args: argparse.Namespace, out=None) -> int:
    """Handler for `ccflink evaluate`: 0 when rows were evaluated, 1 when none, 2 on bad input."""
    out = out or sys.stdout
    try:
        rows = load_rows(
            args.input,
            fmt=args.format,
            bootstrap_servers=args.bootstrap_servers
            or getattr(settings, "bootstrap_servers", None),
            registry_url=args.registry_url or getattr(settings, "schema_registry_url", None),
            idle_seconds=args.idle_seconds,
        )
    except (OSError, ValueError, LookupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    metrics = evaluate(
        rows,
        args.version_field,
        label=args.label,
        prediction=args.prediction,
        probability=args.probability,
    )
    if args.json:
        out.write(json.dumps(metrics_json(metrics), indent=2) + "\n")
    else:
        out.write(format_metrics(metrics, title=f"Model quality on {args.input}"))
    return 0 if any(m.rows for m in metrics.values()) else 1


def run(argv: Sequence[str] | None = None, out=None) -> int:
    parser = add_arguments(
        argparse.ArgumentParser(prog="ccflink evaluate", description=__doc__.splitlines()[0])
    )
    args = parser.parse_args(argv)
    settings = None
    if not (args.bootstrap_servers and args.registry_url):
        from pathlib import Path

        if not Path(args.input).is_file():
            from emulator.config import settings_from_env

            settings = settings_from_env()
    return cmd_evaluate(settings, args, out)


if __name__ == "__main__":
    sys.exit(run())
