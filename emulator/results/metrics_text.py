"""Model-quality metrics as text: a table per version, then ML_EVALUATE-style maps."""

from __future__ import annotations

from collections.abc import Mapping

from emulator.results.metrics import Metrics
from emulator.results.text import table


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
    out = [title] if title else []
    out += table(headers, body)
    skipped = sum(m.skipped for m in metrics.values())
    if skipped:
        out.append(f"({skipped} rows without a 0/1 label or prediction were skipped)")
    out.append("")
    for name, m in metrics.items():
        out.append(f"{name}: {format_map(m)}")
    return "\n".join(out) + "\n"
