"""One scoring job's figures: rows/s from its output's record timestamps, and the CPU the
TaskManager (JVM and Python workers) and the model server used from its first output record
to its last (by their timestamps, which Flink's Kafka sink sets when it sends)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from benchmarks.end_to_end.traffic import first_timestamps
from benchmarks.stack_probes import _Sampler, cpu_seconds, cpu_used
from benchmarks.topics import Topic, wait_for_records
from common.avro.decoder import AvroDecoder
from emulator.config import Settings
from emulator.flink.cluster import TASKMANAGER
from emulator.model_endpoint import NAME as MODEL_SERVER


@dataclass(frozen=True)
class ModeFigures:
    """What one mode did with the same feature rows."""

    mode: str
    scored: int
    rate: float  # scored rows/s, first to last output record
    taskmanager_ms: float  # CPU ms per scored row, the TaskManager's JVM and Python workers
    python_ms: float  # of which its Python workers
    model_server_ms: float
    requests: float  # what the function's own counter says it sent (nan: no metrics)


class CpuSamples(_Sampler):
    """The stack's CPU seconds so far, with the wall time, every half second: the readings
    around the first and last output record's timestamps bound the job's scoring."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(0.5, "cpu-samples")
        self.settings = settings
        self.samples: list[tuple[float, dict[str, float]]] = []

    def sample(self) -> None:
        self.samples.append((time.time() * 1000, cpu_seconds(self.settings)))

    def between(self, first_ms: float, last_ms: float) -> dict[str, float]:
        """CPU used from the last reading before `first_ms` to the first after `last_ms`."""
        before = [s for t, s in self.samples if t <= first_ms] or [self.samples[0][1]]
        after = [s for t, s in self.samples if t >= last_ms] or [self.samples[-1][1]]
        return cpu_used(before[-1], after[0])


def measure(
    settings: Settings, mode: str, output: str, expected: int, decode: AvroDecoder
) -> tuple[int, float, dict[str, float]]:
    """Wait for `expected` rows in `output`; (rows scored, rows/s, CPU seconds by process)."""
    topic = Topic(settings, output)
    with CpuSamples(settings) as cpu:
        wait_for_records(topic, expected)
        cpu.sample()
    scored = first_timestamps(topic.read(), decode, "value")
    topic.close()
    if len(scored) < 2:
        raise RuntimeError(f"{mode}: no rows reached {output}; see the TaskManager's log")
    first, last = min(scored.values()), max(scored.values())
    rate = (len(scored) - 1) / max((last - first) / 1000, 1e-3)
    return len(scored), rate, cpu.between(first, last)


def figures(
    mode: str, scored: int, rate: float, used: dict[str, float], requests: float
) -> ModeFigures:
    """CPU per scored row, by the processes a scoring job loads."""

    def per_row(*labels: str) -> float:
        return sum(used.get(label, 0.0) for label in labels) * 1000 / max(scored, 1)

    jvm, python = f"{TASKMANAGER} (JVM)", f"{TASKMANAGER} (Python)"
    return ModeFigures(
        mode=mode,
        scored=scored,
        rate=rate,
        taskmanager_ms=per_row(jvm, python),
        python_ms=per_row(python),
        model_server_ms=per_row(f"{MODEL_SERVER} (Python)"),
        requests=requests,
    )
