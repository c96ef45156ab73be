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
benchmarks/report.py). `make bench` runs it.

    .venv/bin/python -m benchmarks.pipeline_end_to_end                  # both modes
    .venv/bin/python -m benchmarks.pipeline_end_to_end --mode batched --rows 50000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnxruntime as ort
import requests

from benchmarks import report
from benchmarks.stack_probes import (
    FlinkSampler,
    PeakMemory,
    VertexLoad,
    cpu_seconds,
    cpu_used,
    job_tables,
    machine_seconds,
    taskmanager_threads,
    wait_jobs_running,
)
from benchmarks.topics import AvroDecoder, Offsets, Record, Topic, wait_for_records
from emulator import stack
from emulator.catalog import Catalog
from emulator.config import PROJECT_ROOT, Settings
from emulator.flink.rest import FlinkRest
from emulator.model_endpoint import ensure_model
from emulator.ports import free_ports
from emulator.process import ServiceError
from producers.produce import produce_dataset
from producers.synthetic import FIRST_TRANSACTION_DT, GeneratedFiles, generate
from pyflink_jobs.ml_formats import ModelCodec
from pyflink_jobs.ml_predict import METRIC_GROUP
from pyflink_jobs.pipeline import PREDICTIONS_TOPIC, run_pipeline

MODEL = "fraud_detection"  # pyflink_jobs/sql/04_model.sql
FULL_TRAIN_SET = 590_540  # Kaggle's train_transaction.csv
# The steady load's TransactionIDs start past the throughput run's, so the two never join.
STEADY_ID_OFFSET = 10_000_000
# An unmatched transaction comes out once the watermark passes the end of its one-minute join
# window; only those sent at least this long before the load ended are sure to be out.
UNMATCHED_SETTLE_MS = 90_000
GOALS = {"faithful": 1_000, "batched": 15_000}
PACKAGES = ("apache-flink", "confluent-kafka", "onnxruntime", "pyarrow", "pandas", "gunicorn")


def jars_dir() -> Path:
    return Path(os.environ.get("CCFLINK_JARS_DIR", PROJECT_ROOT / ".ccflink" / "jars")).resolve()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _say(message: str) -> None:
    print(message, flush=True)


def _quiet(_message: str) -> None:
    """The stack's own progress lines would drown the benchmark's."""


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Startup:
    """`up` split into its steps, seconds each; the last one is counted from producing."""

    training: float
    services: float
    sql: float
    jobs_running: float
    first_prediction: float

    @property
    def total(self) -> float:
        return self.training + self.services + self.sql + self.jobs_running + self.first_prediction


@dataclass(frozen=True)
class Throughput:
    replayed: int
    scored: int
    identities: int  # identity rows replayed
    joined: int  # join output rows that carry their identity row
    produce_started_ms: int
    produce_seconds: float  # until the producers had sent (and flushed) every record
    first_ms: int
    last_ms: int

    @property
    def rate(self) -> float:
        """Scored transactions per second between the first and the last prediction."""
        seconds = (self.last_ms - self.first_ms) / 1000
        return self.scored / seconds if seconds > 0 else 0.0

    @property
    def whole_seconds(self) -> float:
        """From the first record sent to the last prediction written."""
        return (self.last_ms - self.produce_started_ms) / 1000


@dataclass(frozen=True)
class Latency:
    rate: float  # offered, transactions per second
    achieved: float  # as sent
    seconds: float
    joined_ms: list[int]
    unmatched_ms: list[int]  # of unmatched transactions sent UNMATCHED_SETTLE_MS before the end
    joined_missing: int
    unmatched_missing: int  # of that sample, not scored
    unmatched_waiting: int  # later unmatched ones, waiting for newer records (by design)


@dataclass(frozen=True)
class EndpointProbe:
    """Requests sent straight to the model server from this process, as a subtask sends them."""

    rows_per_request: int
    requests: int
    encode_ms: float  # building the request body, per request
    round_trip_ms: float  # HTTP round trip, per request
    run_ms: float  # the scoring script's run(), per request (x-ms-run-fn-exec-ms)


@dataclass(frozen=True)
class Hop:
    """When one topic of the chain was written, seconds after producing started."""

    topic: str
    writer: str
    records: int
    first: float
    median: float
    last: float

    @classmethod
    def of(cls, topic: str, writer: str, timestamps: list[int], started_ms: int) -> Hop:
        seconds = (np.array(timestamps or [started_ms]) - started_ms) / 1000
        return cls(
            topic,
            writer,
            len(timestamps),
            float(seconds.min()),
            float(np.median(seconds)),
            float(seconds.max()),
        )


@dataclass
class CpuWindow:
    """CPU readings, per process of the stack and for the whole machine, at the start and at
    the last new prediction seen (not the idle wait after it)."""

    settings: Settings
    start: dict[str, float] = field(default_factory=dict)
    end: dict[str, float] = field(default_factory=dict)
    machine_start: dict[str, float] = field(default_factory=dict)
    machine_end: dict[str, float] = field(default_factory=dict)
    threads_start: dict[str, float] = field(default_factory=dict)
    threads_end: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    _started: float = 0.0

    def begin(self) -> None:
        self.threads_start = taskmanager_threads(self.settings)
        self.start, self.machine_start = cpu_seconds(self.settings), machine_seconds()
        self._started = time.monotonic()
        self.mark(0)

    def finish(self) -> None:
        """The TaskManager's threads once it is over (a thread dump is too slow per mark)."""
        self.threads_end = taskmanager_threads(self.settings)

    def mark(self, _count: int) -> None:
        self.end, self.machine_end = cpu_seconds(self.settings), machine_seconds()
        self.seconds = time.monotonic() - self._started

    def processes(self) -> dict[str, float]:
        return cpu_used(self.start, self.end)

    def machine(self) -> dict[str, float]:
        return cpu_used(self.machine_start, self.machine_end)

    def threads(self) -> dict[str, float]:
        return cpu_used(self.threads_start, self.threads_end)


@dataclass(frozen=True)
class ModeResult:
    mode: str
    batch_size: int  # rows per ML_PREDICT request
    onnx_batch: int  # rows per ONNX run for the model's limit
    startup: Startup
    throughput: Throughput
    hops: list[Hop]
    onnx_rows: int
    onnx_rate: float
    cpu: CpuWindow
    vertices: list[VertexLoad]
    flink_requests: float
    flink_latency_ms: float
    probes: list[EndpointProbe]
    latency: Latency
    peak_memory_bytes: int
    failures: list[str]  # statements that stopped running, and why


# --- reading topics ------------------------------------------------------------------------------


def first_timestamps(records: Iterable[Record], decode: AvroDecoder, part: str) -> dict[int, int]:
    """TransactionID -> the earliest record timestamp with it (a restarted job may repeat one)."""
    first: dict[int, int] = {}
    for record in records:
        raw = record.key if part == "key" else record.value
        if raw is None:
            continue
        transaction = decode(raw)["TransactionID"]
        if transaction not in first or record.timestamp_ms < first[transaction]:
            first[transaction] = record.timestamp_ms
    return first


# --- the model alone -----------------------------------------------------------------------------


def onnx_rows_per_second(model_dir: Path, rows: list[dict], batch: int) -> float:
    """The exported model in this process on the same feature rows, `batch` rows per run.

    Arrays are built beforehand: only the model's own work is timed.
    """
    folder = model_dir / "model"
    metadata = json.loads((folder / "metadata.json").read_text())
    session = ort.InferenceSession(str(folder / "fraud.onnx"), providers=["CPUExecutionProvider"])
    feed = {}
    for feature in metadata["features"]:
        values = [row.get(feature["name"]) for row in rows]
        if feature["kind"] == "numeric":
            array = np.array([np.nan if v is None else v for v in values], dtype=np.float32)
        else:
            missing = metadata.get("missing_string", "")
            array = np.array([missing if v is None else v for v in values], dtype=object)
        feed[feature["name"]] = array.reshape(-1, 1)
    started = time.perf_counter()
    for at in range(0, len(rows), batch):
        session.run(None, {name: array[at : at + batch] for name, array in feed.items()})
    return len(rows) / (time.perf_counter() - started)


def probe_endpoint(
    settings: Settings, rows: list[dict], rows_per_request: int, count: int
) -> EndpointProbe:
    """Time the model server alone with the bodies ML_PREDICT sends (the model's own codec)."""
    version = Catalog.for_state(settings.state_dir).models[MODEL].get(None)
    codec = ModelCodec.create(
        [(c.name, c.type) for c in version.inputs], [(c.name, c.type) for c in version.outputs]
    )
    names = [c.name for c in version.inputs]
    values = [tuple(row.get(name) for name in names) for row in rows]
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {settings.model_api_key()}", **codec.headers()}
    )
    encode = round_trip = run = 0.0
    for number in range(count):
        at = number * rows_per_request % max(1, len(values) - rows_per_request)
        chunk = values[at : at + rows_per_request]
        started = time.perf_counter()
        body = codec.encode(chunk[0]) if rows_per_request == 1 else codec.encode_batch(chunk)
        sent = time.perf_counter()
        response = session.post(f"{settings.model_server_url}/score", data=body, timeout=30)
        round_trip += time.perf_counter() - sent
        encode += sent - started
        response.raise_for_status()
        run += float(response.headers.get("x-ms-run-fn-exec-ms", "nan"))
    session.close()
    return EndpointProbe(
        rows_per_request, count, encode * 1000 / count, round_trip * 1000 / count, run / count
    )


# --- the runs ------------------------------------------------------------------------------------


def start_pipeline(settings: Settings, batch_size: int) -> tuple[float, ...]:
    """`make up` without the demo's replay: seconds per step, up to the jobs running."""
    marks = [time.monotonic()]
    ensure_model(settings, say=_quiet)
    marks.append(time.monotonic())
    stack.up(settings, say=_quiet)
    marks.append(time.monotonic())
    run_pipeline(settings, say=_quiet, ml_batch_size=batch_size)
    marks.append(time.monotonic())
    wait_jobs_running(settings, set(job_tables(settings)))
    marks.append(time.monotonic())
    return tuple(b - a for a, b in itertools.pairwise(marks))


def replay(settings: Settings, data_dir: Path, **options: object) -> tuple[int, int]:
    """Produce both files; returns how many transactions and identity rows were sent."""
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        data_dir,
        settings.state_dir / "dead-letters",
        show_progress=False,
        **options,  # type: ignore[arg-type]
    )
    return summaries[0].sent, summaries[1].sent


@dataclass(frozen=True)
class ThroughputRun:
    throughput: Throughput
    hops: list[Hop]
    cpu: CpuWindow
    vertices: list[VertexLoad]


# The chain after the producers: each topic and the job that writes it.
CHAIN = (
    ("transactions_enriched", "join job"),
    ("transactions_features", "features job"),
    (PREDICTIONS_TOPIC, "scoring job (ML_PREDICT)"),
)


def measure_throughput(settings: Settings, data_dir: Path, decode: AvroDecoder) -> ThroughputRun:
    predictions = Topic(settings, PREDICTIONS_TOPIC)
    cpu = CpuWindow(settings)
    cpu.begin()
    started_ms = _now_ms()
    with FlinkSampler(settings) as sampler:
        sent, identities = replay(settings, data_dir, timestamps="event")
        produce_seconds = (_now_ms() - started_ms) / 1000
        wait_for_records(predictions, sent, on_change=cpu.mark)
    cpu.finish()
    scored = first_timestamps(predictions.read(), decode, "value")
    predictions.close()
    if not scored:
        raise RuntimeError("no prediction came; see the logs in the state folder")
    join_hop, joined = read_join_output(settings, decode, started_ms)
    features = Topic(settings, CHAIN[1][0])
    hops = [
        join_hop,
        Hop.of(*CHAIN[1], [r.timestamp_ms for r in features.records()], started_ms),
        Hop.of(*CHAIN[2], list(scored.values()), started_ms),
    ]
    features.close()
    first, last = min(scored.values()), max(scored.values())
    throughput = Throughput(
        sent, len(scored), identities, joined, started_ms, produce_seconds, first, last
    )
    return ThroughputRun(throughput, hops, cpu, list(sampler.vertices.values()))


def read_join_output(settings: Settings, decode: AvroDecoder, started_ms: int) -> tuple[Hop, int]:
    """When the join job wrote its rows, and how many carry their identity row (id_01 is set
    in every identity row): the rest left the LEFT join unmatched."""
    topic = Topic(settings, CHAIN[0][0])
    timestamps, joined = [], 0
    for record in topic.records():
        timestamps.append(record.timestamp_ms)
        joined += record.value is not None and decode(record.value).get("id_01") is not None
    topic.close()
    return Hop.of(*CHAIN[0], timestamps, started_ms), joined


def steady_copy(source: GeneratedFiles, target: Path) -> Path:
    """The files with TransactionIDs moved past the throughput run's, and one transaction per
    TransactionDT second: replayed with speedup R, that is R transactions a second, evenly
    (the generator's own TransactionDT follows the day's rhythm)."""
    target.mkdir(parents=True, exist_ok=True)
    with (
        source.transaction_path.open() as rows,
        (target / source.transaction_path.name).open("w") as out,
    ):
        header = rows.readline()
        if not header.startswith("TransactionID,isFraud,TransactionDT,"):
            raise ValueError(f"unexpected header in {source.transaction_path}")
        out.write(header)
        for index, line in enumerate(rows):
            transaction, label, _dt, rest = line.split(",", 3)
            dt = FIRST_TRANSACTION_DT + index
            out.write(f"{int(transaction) + STEADY_ID_OFFSET},{label},{dt},{rest}")
    with source.identity_path.open() as rows, (target / source.identity_path.name).open("w") as out:
        out.write(rows.readline())
        for line in rows:
            transaction, rest = line.split(",", 1)
            out.write(f"{int(transaction) + STEADY_ID_OFFSET},{rest}")
    return target


def _latencies(
    sent_at: dict[int, int], scored_at: dict[int, int], ids: Iterable[int]
) -> tuple[list[int], int]:
    """Milliseconds from transaction to prediction for `ids`, and how many were not scored."""
    found = [scored_at[t] - sent_at[t] for t in ids if t in scored_at]
    return found, sum(1 for t in ids if t not in scored_at)


def measure_latency(
    settings: Settings, data_dir: Path, rate: float, seconds: float, decode: AvroDecoder
) -> Latency:
    topics = {name: Topic(settings, name) for name in ("transactions", "identities")}
    topics[PREDICTIONS_TOPIC] = Topic(settings, PREDICTIONS_TOPIC)
    starts: dict[str, Offsets] = {name: topic.end_offsets() for name, topic in topics.items()}
    sent, _identities = replay(settings, data_dir, timestamps="wall", speedup=rate)
    load_ended_ms = _now_ms()
    wait_for_records(topics[PREDICTIONS_TOPIC], sent, starts[PREDICTIONS_TOPIC])
    read = {name: topic.read(starts[name]) for name, topic in topics.items()}
    for topic in topics.values():
        topic.close()
    sent_at = first_timestamps(read["transactions"], decode, "key")
    with_identity = set(first_timestamps(read["identities"], decode, "key"))
    scored_at = first_timestamps(read[PREDICTIONS_TOPIC], decode, "value")
    joined = [t for t in sent_at if t in with_identity]
    unmatched = [t for t in sent_at if t not in with_identity]
    settled = [t for t in unmatched if sent_at[t] <= load_ended_ms - UNMATCHED_SETTLE_MS]
    joined_ms, joined_missing = _latencies(sent_at, scored_at, joined)
    unmatched_ms, unmatched_missing = _latencies(sent_at, scored_at, settled)
    span = (max(sent_at.values()) - min(sent_at.values())) / 1000 if sent_at else 0.0
    return Latency(
        rate=rate,
        achieved=len(sent_at) / span if span else 0.0,
        seconds=seconds,
        joined_ms=joined_ms,
        unmatched_ms=unmatched_ms,
        joined_missing=joined_missing,
        unmatched_missing=unmatched_missing,
        unmatched_waiting=sum(1 for t in unmatched if t not in scored_at) - unmatched_missing,
    )


def steady_rate(measured: float, chosen: float | None) -> float:
    """The offered load: as chosen, else half the measured rate in two significant digits,
    at most 2,500/s (the steady replay's file grows with rate x duration)."""
    if chosen:
        return chosen
    half = min(measured / 2, 2_500.0)
    digits = max(0, len(str(int(half))) - 2)
    return max(10.0, float(int(half) // 10**digits * 10**digits))


@dataclass(frozen=True)
class Options:
    rows: int
    batch_size: int
    latency_seconds: float
    latency_rate: float | None
    onnx_rows: int


def start_stack(folder: Path, batch_size: int) -> tuple[Settings, tuple[float, ...]]:
    """A stack on free ports with the pipeline's jobs running, and the seconds each step took.

    Others start stacks on this machine too: a port taken between choosing and binding it
    gets one more try, from scratch, on new ports. A failed start leaves nothing running.
    """
    for attempt in (1, 2):
        settings = Settings(folder / f"state-{attempt}", jars_dir=jars_dir(), ports=free_ports())
        try:
            return settings, start_pipeline(settings, batch_size)
        except ServiceError as error:
            stack.down(settings)
            if attempt == 2:
                raise
            _say(f"  the stack did not start ({str(error).splitlines()[0]}); once more")
        except BaseException:
            stack.down(settings)
            raise
    raise AssertionError("unreachable: the loop returns or raises")


def failed_statements(settings: Settings) -> list[str]:
    """`table: why` for each pipeline job that is no longer running."""
    rest = FlinkRest(settings.flink_rest_url)
    return [
        f"`{table}`: {rest.failure(job) or rest.job_state(job)}"
        for job, table in job_tables(settings).items()
        if rest.job_state(job) != "RUNNING"
    ]


def measure_mode(
    settings: Settings,
    folder: Path,
    data: GeneratedFiles,
    options: Options,
    mode: str,
    steps: tuple[float, ...],
    memory: PeakMemory,
) -> ModeResult:
    """Throughput, the model alone, the endpoint alone, then latency, on a running stack
    (`steps`: how long starting it took; `memory` samples it)."""
    batch_size = options.batch_size if mode == "batched" else 1
    decode = AvroDecoder(settings.schema_registry_url)
    _say(f"==> {mode}: throughput, {options.rows:,} transactions at full speed")
    run = measure_throughput(settings, data.transaction_path.parent, decode)
    failures = [f"{f} (during the throughput run)" for f in failed_statements(settings)]
    calls = _model_calls(settings)
    features = Topic(settings, "transactions_features")
    rows = [decode(r.value) for r in features.read(limit=options.onnx_rows) if r.value]
    features.close()
    onnx_rate = onnx_rows_per_second(settings.model_dir, rows, options.batch_size)
    probes = [probe_endpoint(settings, rows, 1, 300)]
    if batch_size > 1:
        probes.append(probe_endpoint(settings, rows, batch_size, 20))
    rate = steady_rate(run.throughput.rate, options.latency_rate)
    _say(f"==> {mode}: latency, {rate:,.0f}/s for {options.latency_seconds:.0f} s")
    source = generate(int(rate * options.latency_seconds), folder / "steady-source", seed=12)
    steady = steady_copy(source, folder / "steady")
    latency = measure_latency(settings, steady, rate, options.latency_seconds, decode)
    if not failures:
        failures = [f"{f} (during the latency run)" for f in failed_statements(settings)]
    return ModeResult(
        mode=mode,
        batch_size=batch_size,
        onnx_batch=options.batch_size,
        startup=Startup(
            *steps,
            first_prediction=(run.throughput.first_ms - run.throughput.produce_started_ms) / 1000,
        ),
        throughput=run.throughput,
        hops=run.hops,
        onnx_rows=len(rows),
        onnx_rate=onnx_rate,
        cpu=run.cpu,
        vertices=run.vertices,
        flink_requests=calls[0],
        flink_latency_ms=calls[1],
        probes=probes,
        latency=latency,
        peak_memory_bytes=memory.peak_bytes,
        failures=failures,
    )


def run_mode(mode: str, options: Options) -> ModeResult:
    """One mode on its own stack; the stack is stopped whatever happens (also on Ctrl-C)."""
    batch_size = options.batch_size if mode == "batched" else 1
    with tempfile.TemporaryDirectory(prefix=f"ccflink-bench-{mode}-") as temp:
        folder = Path(temp)
        _say(f"==> {mode}: generating {options.rows:,} synthetic transactions")
        data = generate(options.rows, folder / "throughput", seed=11)
        _say(f"==> {mode}: up (model, services, pipeline SQL, jobs running)")
        settings, steps = start_stack(folder, batch_size)
        try:
            with PeakMemory(settings) as memory:
                return measure_mode(settings, folder, data, options, mode, steps, memory)
        finally:
            stack.down(settings)


def _model_calls(settings: Settings) -> tuple[float, float]:
    """Requests the scoring job sent, and their mean latency as its subtasks measured it."""
    job = next(j for j, table in job_tables(settings).items() if table == PREDICTIONS_TOPIC)
    metrics = FlinkRest(settings.flink_rest_url).metrics(job, METRIC_GROUP)
    count = metrics.get(f"{MODEL}.latency_ms_count", 0.0)
    mean = metrics.get(f"{MODEL}.latency_ms_sum", 0.0) / count if count else float("nan")
    return metrics.get(f"{MODEL}.requests", 0.0), mean


# --- the report ----------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:,.1f} s" if value < 10 else f"{value:,.0f} s"


def _percentiles(values: list[int]) -> list[str]:
    if not values:
        return ["-", "-", "-"]
    return [_seconds(float(np.percentile(values, p)) / 1000) for p in (50, 95, 99)]


def _headline(result: ModeResult) -> list[list[str]]:
    t, goal = result.throughput, GOALS[result.mode]
    whole_goal = "< 120 s for the full set" if result.mode == "batched" else ""
    first_goal = "<= 60 s"
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
            "... model training / services / SQL / jobs running / first prediction after"
            " producing started",
            " / ".join(
                _seconds(v)
                for v in (s.training, s.services, s.sql, s.jobs_running, s.first_prediction)
            ),
            "",
        ],
        ["peak stack memory (resident, all services and children)", _gb(result), ""],
    ]


def _gb(result: ModeResult) -> str:
    return f"{result.peak_memory_bytes / 1e9:.1f} GB"


def _latency_text(latency: Latency) -> str:
    rows = [
        ["joined (an identity row within the minute)", f"{len(latency.joined_ms):,}"],
        [
            "unmatched (no identity row; sent at least 90 s before the load ended)",
            f"{len(latency.unmatched_ms):,}",
        ],
    ]
    for row, values in zip(rows, (latency.joined_ms, latency.unmatched_ms), strict=True):
        row.extend(_percentiles(values))
    notes = (
        f"Offered load: {latency.rate:,.0f} transactions/s (sent: {latency.achieved:,.0f}/s) for "
        f"{latency.seconds:.0f} s, wall-clock record timestamps. Latency: the prediction's "
        "record timestamp (written by Flink's Kafka sink) minus its transaction's. "
        f"Not scored: {latency.joined_missing:,} joined, {latency.unmatched_missing:,} of the "
        f"unmatched sample; {latency.unmatched_waiting:,} later unmatched transactions were "
        "still waiting for the watermark when the load ended (by design)."
    )
    return report.table(["transactions", "count", "p50", "p95", "p99"], rows) + "\n\n" + notes


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


def render(result: ModeResult, command: str, machine: str) -> str:
    batch = f", `--ml-batch-size {result.batch_size}`" if result.mode == "batched" else ""
    failures = [f"**A statement stopped:** {failure}" for failure in result.failures]
    return "\n\n".join(
        [
            report.header(TITLES[result.mode] + batch, command, machine).rstrip(),
            *failures,
            report.table(["figure", "measured", "goal"], _headline(result)),
            _latency_text(result.latency),
            _hops_text(result),
            _cpu_text(result),
            _threads_text(result),
            _vertex_text(result.vertices),
            _endpoint_text(result),
        ]
    )


def _kafka_version() -> str:
    clients = sorted((jars_dir() / "kafka").glob("kafka-clients-*.jar"))
    return f"Kafka {clients[-1].stem.removeprefix('kafka-clients-')}" if clients else "Kafka"


def _interrupt(_signal: int, _frame: object) -> None:
    """SIGTERM (`timeout`, a CI runner) as Ctrl-C, so the stack is stopped on the way out."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> None:
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
    parser.add_argument("--latency-seconds", type=float, default=180.0)
    parser.add_argument(
        "--latency-rate",
        type=float,
        help="steady load, transactions/s (default: half the measured rate, at most 2,500/s)",
    )
    parser.add_argument("--onnx-rows", type=int, default=50_000, help="rows for the ONNX limit")
    parser.add_argument("--report", type=Path, default=report.BENCHMARKS_FILE)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    modes = ["faithful", "batched"] if args.mode == "both" else [args.mode]
    command = report.command_line("benchmarks.pipeline_end_to_end", argv)
    machine = report.machine(PACKAGES, extra=[_kafka_version()])
    for mode in modes:
        rows = args.rows if mode == "batched" else args.faithful_rows or min(args.rows, 20_000)
        options = Options(
            rows, args.ml_batch_size, args.latency_seconds, args.latency_rate, args.onnx_rows
        )
        text = render(run_mode(mode, options), command, machine)
        print(text, flush=True)
        if not args.no_report:
            report.write_section(f"pipeline_end_to_end/{mode}", text, args.report)


if __name__ == "__main__":
    main()
