"""CPU used while the throughput run scores: per process of the stack, machine-wide, and per
TaskManager thread, between the first record sent and the last new prediction."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from benchmarks.stack_probes import cpu_seconds, cpu_used, machine_seconds, taskmanager_threads
from emulator.config import Settings


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
