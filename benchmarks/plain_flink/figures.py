"""One side's run of the join and features statements, and what the two sides' runs say."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SideRun:
    """What came out of the features statement and what the TaskManager spent on it."""

    side: str  # "ccflink" or "plain Flink"
    round: int
    rows: int  # distinct TransactionIDs in the features table
    first_ms: int  # record timestamps of the first and last output row
    last_ms: int
    taskmanager_cpu_seconds: float  # the TaskManager JVM, submission to the last new row

    @property
    def rows_per_second(self) -> float:
        """Output rows over the span between the first and last output record."""
        seconds = (self.last_ms - self.first_ms) / 1000
        return self.rows / seconds if seconds > 0 else 0.0

    @property
    def cpu_ms_per_row(self) -> float:
        return self.taskmanager_cpu_seconds * 1000 / self.rows if self.rows else 0.0


@dataclass(frozen=True)
class Ratio:
    """ccflink against plain Flink: above 1 means ccflink is faster (rate) or dearer (CPU)."""

    rate: float  # ccflink rows/s / plain rows/s
    cpu: float  # ccflink CPU ms per row / plain CPU ms per row

    @classmethod
    def of(cls, ccflink: SideRun, plain: SideRun) -> Ratio:
        rate = ccflink.rows_per_second / plain.rows_per_second if plain.rows_per_second else 0.0
        cpu = ccflink.cpu_ms_per_row / plain.cpu_ms_per_row if plain.cpu_ms_per_row else 0.0
        return cls(rate, cpu)
