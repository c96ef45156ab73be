"""`ccflink compare`: local predictions against the same pipeline's on Confluent Cloud.

The join key defaults to the fraud demo's (`emulator.demo`). The compared column is `--field`,
else the demo's prediction column when both sides have it, else inferred from the rows
(`results.fields`); another pipeline names its own with `--key` and `--field`.
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
from emulator.results.diff import DEFAULT_MIN_AGREEMENT, DEFAULT_SHOW, compare
from emulator.results.diff_json import report_json
from emulator.results.diff_text import format_report
from emulator.results.fields import choose_field
from emulator.results.files import FORMATS


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The flags of `ccflink compare`."""
    parser.add_argument(
        "--local",
        required=True,
        help="local predictions: a topic name (its committed records, read as Flink reads them), "
        "or a file if that exists",
    )
    parser.add_argument("--cloud", required=True, help="predictions exported from Confluent Cloud")
    parser.add_argument(
        "--key", default=demo.KEY_COLUMN, help=f"join column (default {demo.KEY_COLUMN})"
    )
    parser.add_argument(
        "--field",
        help="column to compare, or LOCAL=CLOUD when the sides name it differently (default: "
        f"{demo.PREDICTION_COLUMN} when both sides have it, else the one column whose name "
        "differs, else the one column both sides share besides the key)",
    )
    parser.add_argument(
        "--min-agreement",
        type=float,
        default=DEFAULT_MIN_AGREEMENT,
        help=f"exit 1 below this agreement rate (default {DEFAULT_MIN_AGREEMENT})",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--local-format", choices=FORMATS, default="auto")
    parser.add_argument("--cloud-format", choices=FORMATS, default="auto")
    parser.add_argument(
        "--show", type=int, default=DEFAULT_SHOW, help="example keys and differences to list"
    )
    add_file_arguments(parser)
    add_cluster_arguments(parser)
    return parser


def cmd_compare(
    settings: Settings | None, args: argparse.Namespace, out: TextIO | None = None
) -> int:
    """Handler for `ccflink compare`.

    Exit status: 0 when agreement >= --min-agreement, 1 below it (or when no key matched),
    2 when an input cannot be read or there is no single column to compare.
    """
    out = out or sys.stdout
    try:
        local = read_source(settings, args, args.local, args.local_format, args.key)
        cloud = read_source(settings, args, args.cloud, args.cloud_format, args.key)
        field = choose_field(local, cloud, args.key, args.field, demo.PREDICTION_COLUMN)
    except (CcflinkError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return UNREADABLE_INPUT
    report = compare(local, cloud, key=args.key, field=field, show=args.show)
    if args.json:
        out.write(json.dumps(report_json(report, args.min_agreement), indent=2) + "\n")
    else:
        out.write(format_report(report, args.min_agreement))
    return 0 if report.passes(args.min_agreement) else 1
