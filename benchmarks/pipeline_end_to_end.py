"""The running pipeline end to end: scored transactions per second, latency, what bounds them.

Each mode runs on its own stack (free ports, a temporary state folder): `faithful` is
Confluent's ML_PREDICT (one row per request, asynchronous, max_parallelism 10), `batched` the
local extension (one request per Arrow batch of up to --ml-batch-size rows). For each:

1. `up` as `make up` does it (train the model, start the services, submit the unchanged
   pipeline SQL), timed to the first prediction;
2. throughput: N synthetic transactions replayed at full speed with event-time stamps; scored
   transactions per second from the predictions' record timestamps, with the CPU each process
   used and Flink's operator metrics meanwhile; then the model alone (ONNX, in batches) on the
   same feature rows, and the pipeline's share of that limit;
3. latency: a steady load (by default half the measured rate) with wall-clock stamps;
   p50/p95/p99 of a prediction's record timestamp minus its transaction's, for transactions
   joined to an identity row and for those that leave the LEFT join unmatched, apart.

Prints each mode's figures and writes them into BENCHMARKS.md, one section per mode (see
benchmarks/report.py). `make bench` runs it. The parts live in benchmarks/end_to_end/; this
module holds the command line.

    .venv/bin/python -m benchmarks.pipeline_end_to_end                  # both modes
    .venv/bin/python -m benchmarks.pipeline_end_to_end --mode batched --rows 50000
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from benchmarks import report
from benchmarks.end_to_end.modes import Options, run_mode
from benchmarks.end_to_end.render import render
from emulator.config import CHAINED_COMMITS_ENV, jars_dir

FULL_TRAIN_SET = 590_540  # Kaggle's train_transaction.csv
PACKAGES = ("apache-flink", "confluent-kafka", "onnxruntime", "pyarrow", "pandas", "gunicorn")


def _kafka_version() -> str:
    """The version of the Kafka jars the broker runs from, for the machine line."""
    clients = sorted((jars_dir() / "kafka").glob("kafka-clients-*.jar"))
    return f"Kafka {clients[-1].stem.removeprefix('kafka-clients-')}" if clients else "Kafka"


def _interrupt(_signal: int, _frame: object) -> None:
    """SIGTERM (`timeout`, a CI runner) as Ctrl-C, so the stack is stopped on the way out."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
    """Run the chosen modes one after the other, each on its own stack, and report each."""
    signal.signal(signal.SIGTERM, _interrupt)
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("faithful", "batched", "both"), default="both")
    parser.add_argument(
        "--rows", type=int, default=FULL_TRAIN_SET, help="transactions replayed, batched mode"
    )
    parser.add_argument(
        "--faithful-rows",
        type=int,
        help="transactions replayed, faithful mode (default: "
        "--rows, at most 20,000: at one row per request the full set takes long)",
    )
    parser.add_argument("--ml-batch-size", type=int, default=1_000, metavar="ROWS")
    parser.add_argument(
        "--latency-seconds",
        type=float,
        default=180.0,
        help="how long the steady-load latency phase runs (0 skips it)",
    )
    parser.add_argument(
        "--latency-rate",
        type=float,
        help="steady load, transactions/s (default: half the measured rate, at most 2,500/s)",
    )
    parser.add_argument("--onnx-rows", type=int, default=50_000, help="rows for the ONNX limit")
    parser.add_argument(
        "--profile-jvm",
        type=Path,
        metavar="DIR",
        help="record the TaskManager JVM with JFR during each throughput run (DIR/MODE/"
        "taskmanager.jfr) and print its top frames per kind of thread",
    )
    parser.add_argument(
        "--read-uncommitted",
        action="store_true",
        help="the join's and the features' readers read uncommitted (ALTER TABLE between the "
        "SQL files): latency without the exactly-once commits; its own report sections",
    )
    parser.add_argument(
        "--no-chained-commits",
        action="store_true",
        help=f"{CHAINED_COMMITS_ENV}=off for the stacks: each statement commits at its own "
        "periodic checkpoints; its own report sections",
    )
    parser.add_argument("--report", type=Path, default=report.BENCHMARKS_FILE)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.no_chained_commits:
        os.environ[CHAINED_COMMITS_ENV] = "off"  # read by each stack's supervisor
    modes = ["faithful", "batched"] if args.mode == "both" else [args.mode]
    command = report.command_line("benchmarks.pipeline_end_to_end", argv)
    machine = report.machine(PACKAGES, extra=[_kafka_version()])
    for mode in modes:
        rows = args.rows if mode == "batched" else args.faithful_rows or min(args.rows, 20_000)
        options = Options(
            rows,
            args.ml_batch_size,
            args.latency_seconds,
            args.latency_rate,
            args.onnx_rows,
            args.profile_jvm,
            args.read_uncommitted,
            chained_commits=not args.no_chained_commits,
        )
        text = render(run_mode(mode, options), command, machine)
        print(text, flush=True)
        if not args.no_report:
            section = mode + ("-read-uncommitted" if args.read_uncommitted else "")
            section += "-unchained" if args.no_chained_commits else ""
            report.write_section(f"pipeline_end_to_end/{section}", text, args.report)


if __name__ == "__main__":
    main()
