"""What one mode measured, as plain values: the startup, throughput and latency figures,
the chain's hops and the endpoint probes, gathered into a `ModeResult` for the report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.end_to_end.cpu_window import CpuWindow
from benchmarks.stack_probes import VertexLoad


@dataclass(frozen=True)
class Startup:
    """`up` split into its steps, seconds each; the last one is counted from producing."""

    services: float  # with the model trained beside them, as `make up` does
    sql: float
    jobs_running: float
    first_prediction: float

    @property
    def total(self) -> float:
        return self.services + self.sql + self.jobs_running + self.first_prediction


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


@dataclass(frozen=True)
class ModeResult:
    mode: str
    read_uncommitted: bool  # the statements read each other's output before its commit
    chained_commits: bool  # a statement commits right after the one it reads (the default)
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
    latency: Latency | None  # None: --latency-seconds 0 skipped the phase
    peak_memory_bytes: int
    memory_at_peak: dict[str, int]  # each service's resident bytes when the stack peaked
    failures: list[str]  # statements that stopped running, and why
