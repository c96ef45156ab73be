"""One scoring job's figures: rows/s and the CPU the TaskManager (JVM and Python workers) and
the model server used, from the job's first request (the model server getting busy) to its
last output record (its timestamp, which Flink's Kafka sink sets when it sends)."""

from __future__ import annotations

import itertools
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
    rate: float  # scored rows/s, from the first request to the last output record
    taskmanager_ms: float  # CPU ms per scored row, the TaskManager's JVM and Python workers
    python_ms: float  # of which its Python workers
    model_server_ms: float
    requests: float  # what the function's own counter says it sent (nan: no metrics)


# The model server is idle until the job's first request: CPU seconds in one half-second
# sample above this say scoring began.
SCORING_BEGAN_CPU = 0.02
MODEL_SERVER_PROCESS = f"{MODEL_SERVER} (Python)"


class CpuSamples(_Sampler):
    """The stack's CPU seconds so far, with the wall time, every half second."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(0.5, "cpu-samples")
        self.settings = settings
        self.samples: list[tuple[float, dict[str, float]]] = []

    def sample(self) -> None:
        self.samples.append((time.time() * 1000, cpu_seconds(self.settings)))

    def scoring_began(self) -> int:
        """The index of the last reading before the model server got busy: the job's first
        requests. Its first output can come much later (a bundle is sent when it closes)."""
        for index, ((_, before), (_, after)) in enumerate(itertools.pairwise(self.samples)):
            used = after.get(MODEL_SERVER_PROCESS, 0.0) - before.get(MODEL_SERVER_PROCESS, 0.0)
            if used > SCORING_BEGAN_CPU:
                return index
        raise RuntimeError("the model server never got busy: no request was sent")

    def after(self, last_ms: float) -> int:
        """The index of the first reading at or after `last_ms` (the last reading if none)."""
        return next((i for i, (t, _) in enumerate(self.samples) if t >= last_ms), -1)


def measure(
    settings: Settings, mode: str, output: str, expected: int, decode: AvroDecoder
) -> tuple[int, float, dict[str, float]]:
    """Wait for `expected` rows in `output`; (rows scored, rows/s, CPU seconds by process),
    from the job's first request to its last output record."""
    topic = Topic(settings, output)
    with CpuSamples(settings) as cpu:
        wait_for_records(topic, expected)
        cpu.sample()
    scored = first_timestamps(topic.read(), decode, "value")
    topic.close()
    if not scored:
        raise RuntimeError(f"{mode}: no rows reached {output}; see the TaskManager's log")
    began, ended = cpu.samples[cpu.scoring_began()], cpu.samples[cpu.after(max(scored.values()))]
    rate = len(scored) / max((ended[0] - began[0]) / 1000, 1e-3)
    return len(scored), rate, cpu_used(began[1], ended[1])


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
        model_server_ms=per_row(MODEL_SERVER_PROCESS),
        requests=requests,
    )
