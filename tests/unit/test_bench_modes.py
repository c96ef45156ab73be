"""The pipeline benchmark's modes: `--latency-seconds 0` skips the latency phase (it used to
end in an error after the throughput phase), and the report says it was not measured."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.end_to_end import modes, render
from benchmarks.end_to_end.figures import Throughput
from emulator.config import Settings


def test_zero_latency_seconds_skips_the_latency_phase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    throughput = Throughput(
        replayed=100, scored=100, identities=30, joined=30,
        produce_started_ms=1_000, produce_seconds=1.0, first_ms=3_000, last_ms=4_000,
    )  # fmt: skip
    run = SimpleNamespace(throughput=throughput, hops=[], cpu=None, vertices=[])
    topic = SimpleNamespace(read=lambda limit: [], close=lambda: None)

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the latency phase ran")

    monkeypatch.setattr(modes, "registry_client", lambda url: None)
    monkeypatch.setattr(modes.AvroDecoder, "of_registry", staticmethod(lambda client: None))
    monkeypatch.setattr(modes, "measure_throughput", lambda *args: run)
    monkeypatch.setattr(modes, "failed_statements", lambda settings: [])
    monkeypatch.setattr(modes, "model_calls", lambda settings: (100.0, 2.0))
    monkeypatch.setattr(modes, "Topic", lambda settings, name: topic)
    monkeypatch.setattr(modes, "onnx_rows_per_second", lambda *args: 1_000.0)
    monkeypatch.setattr(modes, "probe_endpoint", lambda *args: None)
    for name in ("generate", "steady_copy", "measure_latency"):
        monkeypatch.setattr(modes, name, must_not_run)
    options = modes.Options(rows=100, batch_size=1, latency_seconds=0, latency_rate=None,
                            onnx_rows=10)  # fmt: skip
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    memory = SimpleNamespace(peak_bytes=0, at_peak={})
    data = SimpleNamespace(transaction_path=tmp_path / "t.csv")
    result = modes.measure_mode(
        settings, tmp_path, data, options, "faithful", (1.0, 2.0, 3.0), memory
    )
    assert result.latency is None
    assert render._latency_text(result.latency, read_uncommitted=False, chained=True) == (
        "Latency: not measured in this run (`--latency-seconds 0`)."
    )
