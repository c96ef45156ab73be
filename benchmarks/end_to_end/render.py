"""A mode's section of BENCHMARKS.md: the headline figures against their goals, then what
bounds them (latency, the chain's hops, CPU, threads, Flink operators, the endpoint)."""

from __future__ import annotations

import os
import re

import numpy as np

from benchmarks import report
from benchmarks.end_to_end.figures import Latency, ModeResult
from benchmarks.stack_probes import VertexLoad
from emulator.flink.cluster import CHECKPOINT_INTERVAL

GOALS = {"faithful": 1_000, "batched": 15_000}


def _seconds(value: float) -> str:
    return f"{value:,.1f} s" if value < 10 else f"{value:,.0f} s"


def _percentiles(values: list[int]) -> list[str]:
    if not values:
        return ["-", "-", "-"]
    return [_seconds(float(np.percentile(values, p)) / 1000) for p in (50, 95, 99)]


def _headline(result: ModeResult) -> list[list[str]]:
    t, goal = result.throughput, GOALS[result.mode]
    whole_goal = "< 60 s for the full set" if result.mode == "batched" else ""
    first_goal = "<= 45 s"
    s = result.startup
    return [
        ["transactions replayed at full speed (event-time stamps)", f"{t.replayed:,}", ""],
        ["scored", f"{t.scored:,}", ""],
        [
            "identity rows joined to their transaction (the others left the LEFT join unmatched)",
            f"{t.joined:,} of {t.identities:,}",
            "all",
        ],
        ["scored transactions/s (first to last prediction)", f"{t.rate:,.0f}", f">= {goal:,}"],
        ["producing started -> last prediction", _seconds(t.whole_seconds), whole_goal],
        [
            f"model alone: ONNX in one process, batches of {result.onnx_batch:,}"
            f" rows, {result.onnx_rows:,} of the same rows (rows/s)",
            f"{result.onnx_rate:,.0f}",
            "",
        ],
        ["pipeline's share of the model's limit", f"{t.rate / result.onnx_rate:.1%}", ""],
        ["`up` -> first prediction", _seconds(s.total), first_goal],
        [
            "... services (the model trained beside them) / SQL / jobs running / first "
            "prediction after producing started",
            " / ".join(
                _seconds(v) for v in (s.services, s.sql, s.jobs_running, s.first_prediction)
            ),
            "",
        ],
        ["peak stack memory (resident, all services and children, GB)", _gb(result), "< 4 GB"],
    ]


def _gb(result: ModeResult) -> str:
    """The peak, and the services that made it up, largest first."""
    shares = sorted(result.memory_at_peak.items(), key=lambda item: -item[1])
    parts = ", ".join(f"{name} {size / 1e9:.2f}" for name, size in shares if size >= 10**7)
    return f"{result.peak_memory_bytes / 1e9:.1f} GB ({parts})" if parts else "0.0 GB"


def _joined_goal(read_uncommitted: bool) -> str:
    """Issue 14's p99 goal for joined transactions (at 500 tx/s offered load)."""
    if read_uncommitted:
        return "< 1 s at 500 tx/s"
    return f"< {CHECKPOINT_INTERVAL} + 1 s (the commit interval + 1 s) at 500 tx/s"


def _latency_text(latency: Latency | None, read_uncommitted: bool, chained: bool) -> str:
    if latency is None:
        return "Latency: not measured in this run (`--latency-seconds 0`)."
    rows = [
        ["joined (an identity row within the minute)", f"{len(latency.joined_ms):,}"],
        [
            "unmatched (no identity row; sent at least 90 s before the load ended)",
            f"{len(latency.unmatched_ms):,}",
        ],
    ]
    for row, values in zip(rows, (latency.joined_ms, latency.unmatched_ms), strict=True):
        row.extend(_percentiles(values))
    rows[0].append(_joined_goal(read_uncommitted))
    rows[1].append("")
    reading = (
        "The join's and the features' output read uncommitted by the next statement "
        "(`--read-uncommitted`). "
        if read_uncommitted
        else "Every statement reads the previous one's output committed (exactly-once), "
        + (
            "each committing right after the one it reads (chained commits). "
            if chained
            else "each committing at its own periodic checkpoints (`--no-chained-commits`). "
        )
    )
    notes = reading + (
        f"Offered load: {latency.rate:,.0f} transactions/s (sent: {latency.achieved:,.0f}/s) for "
        f"{latency.seconds:.0f} s, wall-clock record timestamps. Latency: the prediction's "
        "record timestamp (written by Flink's Kafka sink) minus its transaction's. "
        f"Not scored: {latency.joined_missing:,} joined, {latency.unmatched_missing:,} of the "
        f"unmatched sample; {latency.unmatched_waiting:,} later unmatched transactions were "
        "still waiting for the watermark when the load ended (by design)."
    )
    header = ["transactions", "count", "p50", "p95", "p99", "goal (p99)"]
    return report.table(header, rows) + "\n\n" + notes


def _cpu_text(result: ModeResult) -> str:
    """CPU per process of the stack, per scored transaction, and what other work took.

    CPU per transaction hardly depends on other work sharing the machine, so it also says
    how fast the stack could score on these cores alone.
    """
    cpu, scored = result.cpu, result.throughput.scored
    cores = os.cpu_count() or 1
    available = cpu.seconds * cores
    used = cpu.processes()
    machine = cpu.machine()

    def row(label: str, seconds: float, per_row: bool = True) -> list[str]:
        per = f"{seconds * 1000 / scored:.2f}" if per_row else ""
        return [label, f"{seconds:,.1f}", f"{seconds / available:.0%}", per]

    ours = sum(used.values())
    others = max(0.0, machine["busy"] - ours)
    rows = [row(label, sec) for label, sec in sorted(used.items(), key=lambda i: -i[1])]
    rows += [
        row("**this stack and its producer**", ours),
        row("other work on the machine (others' tests)", others, per_row=False),
        row("idle", machine["idle"], per_row=False),
    ]
    ceiling = cores * scored / ours if ours else 0.0
    return (
        f"CPU during the throughput run ({cpu.seconds:,.0f} s from the first record sent to the "
        f"last new prediction seen; {cores} cores = {available:,.0f} CPU seconds):\n\n"
        + report.table(
            ["process", "CPU seconds", "share of the machine", "CPU ms per scored transaction"],
            rows,
        )
        + f"\n\nAt {ours * 1000 / scored:.2f} CPU ms per scored transaction, {cores} cores "
        f"could score at most about {ceiling:,.0f} transactions/s if nothing else ran."
    )


def _threads_text(result: ModeResult, top: int = 10) -> str:
    """The TaskManager JVM's busiest kinds of threads: which task, client or JIT/GC works."""
    threads = sorted(result.cpu.threads().items(), key=lambda item: -item[1])[:top]
    if not threads:
        return "(No TaskManager thread figures: `jcmd` from a JDK is needed for them.)"
    scored = result.throughput.scored
    rows = [
        [_short_name(name), f"{seconds:,.1f}", f"{seconds * 1000 / scored:.2f}"]
        for name, seconds in threads
    ]
    return (
        f"The TaskManager JVM's {top} busiest kinds of threads during the throughput run "
        "(`jcmd PID Thread.print` before and after; the run's end includes the idle wait):\n\n"
        + report.table(["thread", "CPU seconds", "CPU ms per scored transaction"], rows)
    )


def _hops_text(result: ModeResult) -> str:
    """When each topic of the chain was written: which job holds the others back."""
    rows = [
        [
            f"`{hop.topic}` ({hop.writer})",
            f"{hop.records:,}",
            _seconds(hop.first),
            _seconds(hop.median),
            _seconds(hop.last),
        ]
        for hop in result.hops
    ]
    return (
        "When each topic of the chain was written during the throughput run, seconds after "
        f"producing started (the producers were done after "
        f"{_seconds(result.throughput.produce_seconds)}):\n\n"
        + report.table(["topic (written by)", "records", "first", "median", "last"], rows)
    )


def _short_name(vertex: str) -> str:
    """Flink's operator chain without ids and the sink's Writer/Committer suffix."""
    name = re.sub(r"\[\d+\]", "", vertex).split(": Writer")[0]
    return name.replace("|", "/")


def _vertex_text(vertices: list[VertexLoad]) -> str:
    rows = [
        [
            v.table,
            _short_name(v.name),
            str(v.parallelism),
            f"{v.share(0):.0%}",
            f"{v.share(1):.0%}",
            f"{v.rate(3):,.0f}",
            f"{v.rate(4):,.0f}",
        ]
        for v in vertices
    ]
    return (
        "Flink operators during the throughput run, from the REST API's counters between the "
        "last sample before records moved and the first after they stopped (busy and "
        "backpressured: shares of the subtasks' time; the API refreshes the counters every "
        "10 s, so a stage that finished within seconds shows a span padded with idle time):"
        "\n\n"
        + report.table(
            ["job", "operator chain", "subtasks", "busy", "backpressured", "in/s", "out/s"], rows
        )
    )


def _endpoint_text(result: ModeResult) -> str:
    lines = [
        f"- ML_PREDICT as the scoring job measured it: {result.flink_requests:,.0f} requests, "
        f"{result.flink_latency_ms:.1f} ms mean latency per request."
    ]
    for probe in result.probes:
        per_row = (probe.encode_ms + probe.round_trip_ms) / probe.rows_per_request
        lines.append(
            f"- Straight to the model server from this process, {probe.rows_per_request:,} "
            f"row(s) per request ({probe.requests} requests, one at a time): build the body "
            f"{probe.encode_ms:.2f} ms, HTTP round trip {probe.round_trip_ms:.2f} ms, of which "
            f"the scoring script's run() {probe.run_ms:.2f} ms; {per_row:.3f} ms per row."
        )
    return "\n".join(lines)


TITLES = {
    "faithful": "### Confluent-faithful mode: one row per ML_PREDICT request",
    "batched": "### Batched mode (local extension): one request per Arrow batch",
}
UNCOMMITTED_TITLE = ", statements reading each other's output uncommitted"
UNCHAINED_TITLE = ", each statement committing on its own clock (`--no-chained-commits`)"


def render(result: ModeResult, command: str, machine: str) -> str:
    """The section's Markdown, headed by the command and the machine it ran on."""
    batch = f", `--ml-batch-size {result.batch_size}`" if result.mode == "batched" else ""
    batch += UNCOMMITTED_TITLE if result.read_uncommitted else ""
    batch += "" if result.chained_commits else UNCHAINED_TITLE
    failures = [f"**A statement stopped:** {failure}" for failure in result.failures]
    return "\n\n".join(
        [
            report.header(TITLES[result.mode] + batch, command, machine).rstrip(),
            *failures,
            report.table(["figure", "measured", "goal"], _headline(result)),
            _latency_text(result.latency, result.read_uncommitted, result.chained_commits),
            _hops_text(result),
            _cpu_text(result),
            _threads_text(result),
            _vertex_text(result.vertices),
            _endpoint_text(result),
        ]
    )
