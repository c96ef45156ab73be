"""A comparison report as JSON-ready data, for scripts and CI gates."""

from __future__ import annotations

from typing import Any

from emulator.results.diff import ComparisonReport, Side, confusion_labels


def _json_value(value: Any) -> Any:
    return value if value is None or isinstance(value, int | float | str) else str(value)


def _side_json(side: Side) -> dict[str, Any]:
    return {
        "rows": side.rows,
        "keys": side.keys,
        "missing_key": side.missing_key,
        "duplicate_keys": side.duplicate_keys,
        "duplicate_rows": side.duplicate_rows,
        "duplicate_examples": [_json_value(k) for k in side.duplicate_examples],
        "field_nulls": side.field_nulls,
    }


def report_json(report: ComparisonReport, min_agreement: float | None = None) -> dict[str, Any]:
    """The report as JSON-ready data (nulls stay null; the confusion matrix as a cell list)."""
    local_labels, cloud_labels = confusion_labels(report)
    data: dict[str, Any] = {
        "key": report.key,
        "field": report.field,
        "cloud_field": report.cloud_field,
        "field_reason": report.field_reason,
        "local": _side_json(report.local),
        "cloud": _side_json(report.cloud),
        "matched": report.matched,
        "only_local": report.only_local,
        "only_cloud": report.only_cloud,
        "only_local_examples": [_json_value(k) for k in report.only_local_examples],
        "only_cloud_examples": [_json_value(k) for k in report.only_cloud_examples],
        "agreements": report.agreements,
        "agreement": report.agreement,
        "confusion": {
            "local_labels": [_json_value(v) for v in local_labels],
            "cloud_labels": [_json_value(v) for v in cloud_labels],
            "matrix": [
                [report.confusion.get((a, b), 0) for b in cloud_labels] for a in local_labels
            ],
            "cells": [
                {"local": _json_value(a), "cloud": _json_value(b), "count": n}
                for (a, b), n in report.confusion.items()
            ],
        },
        "mismatch_count": report.mismatch_count,
        "mismatches": [
            {
                "key": _json_value(m.key),
                "local": _json_value(m.local),
                "cloud": _json_value(m.cloud),
            }
            for m in report.mismatches
        ],
        "numeric": [
            {
                "field": n.field,
                "compared": n.compared,
                "differing": n.differing,
                "max_abs_diff": n.max_abs_diff,
                "mean_abs_diff": n.mean_abs_diff,
                "largest": [
                    {
                        "key": _json_value(k),
                        "local": _json_value(x),
                        "cloud": _json_value(y),
                        "abs_diff": d,
                    }
                    for k, x, y, d in n.largest
                ],
            }
            for n in report.numeric
        ],
        "other_differences": report.other_differences,
    }
    if min_agreement is not None:
        data["min_agreement"] = min_agreement
        data["passed"] = report.passes(min_agreement)
    return data
