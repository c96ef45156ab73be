"""`ccflink evaluate`: Accuracy, Precision, Recall, F1 and AUC of a prediction stream.

The topic and the label, prediction and probability columns default to the fraud demo's
(`emulator.demo`); another pipeline names its own with `--input`, `--label`, `--prediction`
and `--probability`.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from common.errors import CcflinkError
from emulator import demo
from emulator.cli.sources import (
    UNREADABLE_INPUT,
    add_cluster_arguments,
    add_file_arguments,
    read_source,
)
from emulator.config import Settings
from emulator.results.files import FORMATS
from emulator.results.metrics import evaluate, metrics_json
from emulator.results.metrics_text import format_metrics


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of `ccflink evaluate`."""
    parser.add_argument(
        "--input",
        default=demo.PREDICTIONS_TOPIC,
        help="predictions: a topic name (its committed records, read as Flink reads them), "
        f"or a file if that exists (default {demo.PREDICTIONS_TOPIC})",
    )
    parser.add_argument("--format", choices=FORMATS, default="auto", help="file format")
    parser.add_argument(
        "--label", default=demo.LABEL_COLUMN, help=f"0/1 label column (default {demo.LABEL_COLUMN})"
    )
    parser.add_argument(
        "--prediction",
        default=demo.PREDICTION_COLUMN,
        help=f"predicted class column (default {demo.PREDICTION_COLUMN})",
    )
    parser.add_argument(
        "--probability",
        default=demo.SCORE_COLUMN,
        help=f"probability-of-1 column (default {demo.SCORE_COLUMN})",
    )
    parser.add_argument("--version-field", help="column holding the model version, if any")
    parser.add_argument("--json", action="store_true")
    add_file_arguments(parser)
    add_cluster_arguments(parser)
    return parser


def cmd_evaluate(
    settings: Settings | None, args: argparse.Namespace, out: TextIO | None = None
) -> int:
    """Handler for `ccflink evaluate`: 0 when rows were evaluated, 1 when none, 2 on bad input."""
    out = out or sys.stdout
    try:
        rows = read_source(settings, args, args.input, args.format, None)
    except (CcflinkError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return UNREADABLE_INPUT
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
