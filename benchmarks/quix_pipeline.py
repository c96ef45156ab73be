"""ccflink's faithful pipeline vs the same pipeline written with Quix Streams, same data.

One stack as pipeline_end_to_end's faithful mode starts it (free ports, a temporary folder,
the unchanged pipeline SQL): the same synthetic set (seed 11) is replayed at full speed with
event-time stamps and ccflink scores it (one ML_PREDICT request per row); its Flink jobs are
then cancelled and the Quix pipeline (benchmarks/quix/app.py, in its own venv) reads the same
two topics from their start and scores them through the same model server. Both rates are
scored transactions per second from the first to the last prediction's record timestamp;
the predictions are compared TransactionID by TransactionID. The ratio is printed against
this run's ccflink figure and against the faithful section of BENCHMARKS.md.

    .venv/bin/python -m benchmarks.quix_pipeline               # 20,000 rows, as `make bench`
    .venv/bin/python -m benchmarks.quix_pipeline --rows 2000 --no-report
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.end_to_end.progress import say
from benchmarks.end_to_end.stack_run import start_stack
from benchmarks.end_to_end.throughput import measure_throughput
from benchmarks.quix.compare import Comparison, Predictions, compare, json_values, read_predictions
from benchmarks.quix.run import OUTPUT_TOPIC, QUIX_PROCESS, QuixRun, run_quix
from benchmarks.stack_probes import job_tables
from benchmarks.topics import Topic
from common.avro.decoder import AvroDecoder
from common.registry import registry_client
from emulator import stack
from emulator.config import Settings
from emulator.demo import PREDICTIONS_TOPIC
from emulator.flink.rest import FlinkRest
from producers.synthetic import generate

PACKAGES = ("apache-flink", "confluent-kafka", "onnxruntime", "gunicorn")
QUIX_PACKAGES = "quixstreams 3.28.1, confluent-kafka 2.12.2 (benchmarks/quix/requirements.txt)"
OUTPUTS = ["predicted_fraud", "fraud_probability"]  # 04_model.sql's OUTPUT
FAITHFUL_SECTION = "pipeline_end_to_end/faithful"
MODEL_SERVER = "model-server (Python)"


@dataclass(frozen=True)
class Result:
    replayed: int
    ccflink: Predictions
    ccflink_cpu: dict[str, float]
    quix: Predictions
    quix_run: QuixRun
    comparison: Comparison


def _interrupt(_signal: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C, so the stack is stopped on the way out."""
    raise KeyboardInterrupt


def measure(rows: int) -> Result:
    """Both pipelines on one stack, one after the other, on the same replayed topics."""
    with tempfile.TemporaryDirectory(prefix="ccflink-bench-quix-") as temp:
        folder = Path(temp)
        say(f"==> generating {rows:,} synthetic transactions (the faithful run's set)")
        data = generate(rows, folder / "throughput", seed=11)
        say("==> up (model, services, pipeline SQL, jobs running)")
        settings, _steps = start_stack(folder, batch_size=1)
        try:
            return _both(settings, folder, data.transaction_path.parent)
        finally:
            stack.down(settings)


def _both(settings: Settings, folder: Path, data_dir: Path) -> Result:
    decode = AvroDecoder.of_registry(registry_client(settings.schema_registry_url))
    say("==> ccflink: the set replayed at full speed, scored by the Flink jobs")
    run = measure_throughput(settings, data_dir, decode)
    ccflink = _read(settings, PREDICTIONS_TOPIC, decode)
    rest = FlinkRest(settings.flink_rest_url)
    for job in job_tables(settings):
        rest.cancel(job)  # idle jobs would still poll the topics while Quix runs
    transactions = Topic(settings, "transactions")
    partitions = len(transactions.partitions)
    transactions.close()
    say("==> Quix Streams: the same topics from their start, scored through the same endpoint")
    quix_run = run_quix(settings, folder, partitions, run.throughput.replayed)
    quix = _read(settings, OUTPUT_TOPIC, json_values)
    return Result(
        run.throughput.replayed,
        ccflink,
        run.cpu.processes(),
        quix,
        quix_run,
        compare(ccflink, quix),
    )


def _read(settings: Settings, name: str, decode: Callable[[bytes], Any]) -> Predictions:
    """A predictions topic read whole, its values decoded with `decode`."""
    topic = Topic(settings, name)
    try:
        return read_predictions(topic, decode, OUTPUTS)
    finally:
        topic.close()


def faithful_figure(path: Path) -> tuple[float, str] | None:
    """ccflink's faithful rate and when it was measured, from BENCHMARKS.md's section."""
    if not path.exists():
        return None
    text = path.read_text()
    begin = text.find(report.start_marker(FAITHFUL_SECTION))
    if begin < 0:
        return None
    section = text[begin : text.find(report.END_MARKER, begin)]
    rate = re.search(
        r"\| scored transactions/s \(first to last prediction\) \| ([\d,.]+) \|", section
    )
    when = re.search(r"Generated (.+?) by", section)
    if rate is None or when is None:
        return None
    return float(rate.group(1).replace(",", "")), when.group(1)


def _ms_per_row(seconds: float, rows: int) -> str:
    return f"{seconds * 1000 / rows:.2f}" if rows else "-"


def render(result: Result, recorded: tuple[float, str] | None, command: str, machine: str) -> str:
    """The section: both rates and their ratio against the goal, CPU, the comparison."""
    c, q = result.ccflink, result.quix
    ratio = c.rate / q.rate if q.rate else float("inf")
    verdict = "met" if ratio > 1 else "missed"
    lines = [
        report.header(
            "### ccflink vs the same pipeline written with Quix Streams",
            command,
            f"{machine} Quix process: {QUIX_PACKAGES}.",
        ),
        report.table(
            ["figure", "ccflink (faithful)", "Quix Streams"],
            [
                ["transactions replayed", f"{result.replayed:,}", "the same topics"],
                ["scored", f"{len(c.values):,}", f"{len(q.values):,}"],
                [
                    "scored transactions/s (first to last prediction)",
                    f"{c.rate:,.0f}",
                    f"{q.rate:,.0f}",
                ],
            ],
        ),
        "",
        f"**ccflink / Quix Streams: {ratio:.2f}x** ({c.rate:,.0f} vs {q.rate:,.0f} scored tx/s, "
        f"the same stack, data and model server, one after the other); goal: ahead of the Quix "
        f"Streams pipeline (> 1.00x): **{verdict}**.",
    ]
    if recorded is not None:
        rate, when = recorded
        lines.append(
            f"Against the faithful section of BENCHMARKS.md ({rate:,.0f} tx/s, pipeline_end_to_end "
            f"{when}): {rate / q.rate:.2f}x."
            if q.rate
            else ""
        )
    lines += ["", _comparison_text(result.comparison), "", *_cpu_lines(result)]
    return "\n".join(lines)


def _comparison_text(comparison: Comparison) -> str:
    head = (
        f"Predictions compared by TransactionID: {comparison.both:,} scored by both, "
        f"{len(comparison.differing):,} of them with other values; "
        f"{len(comparison.only_first):,} scored by ccflink only, "
        f"{len(comparison.only_second):,} by Quix only."
    )
    if comparison.identical:
        return f"{head} **Identical predictions.**"
    sample = (comparison.differing or comparison.only_first or comparison.only_second)[:10]
    return f"{head} **Not identical**; e.g. TransactionIDs {', '.join(map(str, sample))}."


def _cpu_lines(result: Result) -> list[str]:
    c_rows = len(result.ccflink.values)
    q_rows = result.quix_run.last_count - result.quix_run.first_count
    ccflink_own = {
        label: seconds
        for label, seconds in result.ccflink_cpu.items()
        if label.startswith("flink-") or label == MODEL_SERVER
    }
    quix_own = {
        label: seconds
        for label, seconds in result.quix_run.cpu.items()
        if label in (QUIX_PROCESS, MODEL_SERVER)
    }
    rows = [
        [f"ccflink: {label}", f"{seconds:.1f}", _ms_per_row(seconds, c_rows)]
        for label, seconds in sorted(ccflink_own.items(), key=lambda item: -item[1])
    ]
    rows.append(
        [
            "**ccflink: Flink + model server**",
            f"{sum(ccflink_own.values()):.1f}",
            _ms_per_row(sum(ccflink_own.values()), c_rows),
        ]
    )
    rows += [
        [f"Quix: {label}", f"{seconds:.1f}", _ms_per_row(seconds, q_rows)]
        for label, seconds in sorted(quix_own.items(), key=lambda item: -item[1])
    ]
    rows.append(
        [
            "**Quix: its process + model server**",
            f"{sum(quix_own.values()):.1f}",
            _ms_per_row(sum(quix_own.values()), q_rows),
        ]
    )
    return [
        "CPU while each scored (ccflink: first record sent to last prediction seen; Quix: first "
        f"to last prediction seen, {q_rows:,} predictions; psutil for the Quix process, /proc "
        "for the stack's services):",
        "",
        report.table(["process", "CPU seconds", "CPU ms per scored transaction"], rows),
        "",
        "How the Quix pipeline works: both topics in one Quix application (one process, one "
        "consumer, at-least-once, Quix's RocksDB state with changelog topics); the join keeps "
        "both sides in Quix state stores per TransactionID and emits a transaction joined as "
        "soon as its identity row is there; an unmatched one leaves on the watermark, computed "
        "as Flink's (the oldest of every partition's newest record time over both topics, "
        "less 200 ms), through a timer at T + 60 s checked as each record advances it. One "
        "scoring request in flight at a time (records are processed one after the other), on "
        "one keep-alive `requests` session. Others' work shared the machine (load average above).",
    ]


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="transactions replayed")
    parser.add_argument("--report", type=Path, default=report.BENCHMARKS_FILE)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    command = report.command_line("benchmarks.quix_pipeline", argv)
    machine = report.machine(PACKAGES)
    result = measure(args.rows)
    text = render(result, faithful_figure(args.report), command, machine)
    print(text, flush=True)
    if not args.no_report:
        report.write_section("quix_pipeline", text, args.report)


if __name__ == "__main__":
    main()
