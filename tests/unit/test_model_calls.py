"""A statement's ML_PREDICT calls by model, from Flink's metrics (`statement describe`, the
workspace's Models panel)."""

from __future__ import annotations

from typing import Any

from emulator.sql import statements


class Rest:
    def __init__(self, metrics: dict[str, float]) -> None:
        self._metrics = metrics
        self.asked: list[tuple[str, str]] = []

    def metrics(self, job_id: str, marker: str) -> dict[str, float]:
        self.asked.append((job_id, marker))
        return self._metrics


def test_counters_are_grouped_by_model_and_the_mean_comes_from_sum_and_count() -> None:
    rest: Any = Rest(
        {
            "fraud_detection.requests": 10.0,
            "fraud_detection.failures_503": 1.0,
            "fraud_detection.latency_ms_sum": 25.0,
            "fraud_detection.latency_ms_count": 10.0,
            "other.requests": 2.0,
        }
    )
    calls = statements.model_calls(rest, "job-1")
    assert rest.asked == [("job-1", "ml_predict")]
    assert calls == {
        "fraud_detection": {
            "requests": 10.0,
            "failures_503": 1.0,
            "latency_ms_sum": 25.0,
            "latency_ms_count": 10.0,
        },
        "other": {"requests": 2.0},
    }
    assert statements.mean_latency_ms(calls["fraud_detection"]) == 2.5
    assert statements.mean_latency_ms(calls["other"]) is None  # nothing timed yet
