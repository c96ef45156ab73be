"""The throughput run: the whole set replayed at full speed with event-time stamps, then
how fast predictions came and when each topic of the chain was written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from benchmarks.end_to_end.cpu_window import CpuWindow
from benchmarks.end_to_end.figures import Hop, Throughput
from benchmarks.end_to_end.traffic import first_timestamps, now_ms, replay
from benchmarks.stack_probes import FlinkSampler, VertexLoad
from benchmarks.topics import Topic, wait_for_records
from common.avro.decoder import AvroDecoder
from emulator.config import Settings
from emulator.demo import PREDICTIONS_TOPIC


@dataclass(frozen=True)
class ThroughputRun:
    """The run's figures with the CPU and Flink readings taken meanwhile."""

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
    """Replay `data_dir` at full speed and wait for its predictions, sampling CPU and Flink."""
    predictions = Topic(settings, PREDICTIONS_TOPIC)
    cpu = CpuWindow(settings)
    cpu.begin()
    started_ms = now_ms()
    with FlinkSampler(settings) as sampler:
        sent, identities = replay(settings, data_dir, timestamps="event")
        produce_seconds = (now_ms() - started_ms) / 1000
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
