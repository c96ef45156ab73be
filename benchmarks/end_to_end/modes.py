"""One mode from start to end: its own stack, the throughput run, the model and endpoint
alone, the latency run, and the stack stopped whatever happens."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.end_to_end.figures import ModeResult, Startup
from benchmarks.end_to_end.jvm_profile import JvmProfile
from benchmarks.end_to_end.latency import measure_latency, steady_copy, steady_rate
from benchmarks.end_to_end.progress import say
from benchmarks.end_to_end.scoring import model_calls, onnx_rows_per_second, probe_endpoint
from benchmarks.end_to_end.stack_run import failed_statements, start_stack
from benchmarks.end_to_end.throughput import measure_throughput
from benchmarks.stack_probes import PeakMemory
from benchmarks.topics import Topic
from common.avro.decoder import AvroDecoder
from common.registry import registry_client
from emulator import stack
from emulator.config import Settings
from producers.synthetic import GeneratedFiles, generate


@dataclass(frozen=True)
class Options:
    """A mode's command-line choices."""

    rows: int
    batch_size: int
    latency_seconds: float
    latency_rate: float | None
    onnx_rows: int
    profile_dir: Path | None = None  # a JFR profile of the TaskManager's throughput run there
    read_uncommitted: bool = False  # the statements read each other's output uncommitted
    chained_commits: bool = True  # CCFLINK_CHAINED_COMMITS, as the stack's supervisor read it


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
    decode = AvroDecoder.of_registry(registry_client(settings.schema_registry_url))
    say(f"==> {mode}: throughput, {options.rows:,} transactions at full speed")
    profile_dir = options.profile_dir / mode if options.profile_dir else None
    with JvmProfile(settings, profile_dir):
        run = measure_throughput(settings, data.transaction_path.parent, decode)
    failures = [f"{f} (during the throughput run)" for f in failed_statements(settings)]
    calls = model_calls(settings)
    features = Topic(settings, "transactions_features")
    rows = [decode(r.value) for r in features.read(limit=options.onnx_rows) if r.value]
    features.close()
    onnx_rate = onnx_rows_per_second(settings.model_dir, rows, options.batch_size)
    probes = [probe_endpoint(settings, rows, 1, 300)]
    if batch_size > 1:
        probes.append(probe_endpoint(settings, rows, batch_size, 20))
    latency = None
    if options.latency_seconds > 0:
        rate = steady_rate(run.throughput.rate, options.latency_rate)
        say(f"==> {mode}: latency, {rate:,.0f}/s for {options.latency_seconds:.0f} s")
        source = generate(int(rate * options.latency_seconds), folder / "steady-source", seed=12)
        steady = steady_copy(source, folder / "steady")
        latency = measure_latency(settings, steady, rate, options.latency_seconds, decode)
    else:
        say(f"==> {mode}: latency phase skipped (--latency-seconds 0)")
    if not failures:
        failures = [f"{f} (during the latency run)" for f in failed_statements(settings)]
    return ModeResult(
        mode=mode,
        read_uncommitted=options.read_uncommitted,
        chained_commits=options.chained_commits,
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
        memory_at_peak=memory.at_peak,
        failures=failures,
    )


def run_mode(mode: str, options: Options) -> ModeResult:
    """One mode on its own stack; the stack is stopped whatever happens (also on Ctrl-C)."""
    batch_size = options.batch_size if mode == "batched" else 1
    with tempfile.TemporaryDirectory(prefix=f"ccflink-bench-{mode}-") as temp:
        folder = Path(temp)
        say(f"==> {mode}: generating {options.rows:,} synthetic transactions")
        data = generate(options.rows, folder / "throughput", seed=11)
        say(f"==> {mode}: up (model, services, pipeline SQL, jobs running)")
        settings, steps = start_stack(folder, batch_size, options.read_uncommitted)
        try:
            with PeakMemory(settings) as memory:
                return measure_mode(settings, folder, data, options, mode, steps, memory)
        finally:
            stack.down(settings)
