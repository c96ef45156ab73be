"""The running pipeline end to end: scored transactions per second, and what bounds it.

Starts a stack on free ports in a temporary state folder, submits the unchanged pipeline SQL,
replays N synthetic transactions with event-time stamps, and reads `fraud_predictions` until
every transaction is scored. Prints, for the same rows: the pipeline's throughput (first to
last prediction), the model's own batched ONNX throughput, the ratio, the time from `up` to
the first prediction, and the stack's memory. `make bench` runs it.

    .venv/bin/python -m benchmarks.pipeline_end_to_end [--rows 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from emulator import stack
from emulator.config import PROJECT_ROOT, Settings
from emulator.ports import free_ports
from emulator.topic_reader import AvroTopicReader
from producers.produce import produce_dataset
from producers.synthetic import generate
from pyflink_jobs.pipeline import PREDICTIONS_TOPIC, run_pipeline


def _onnx_rows_per_second(model_dir: Path, rows: list[dict]) -> float:
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
    session.run(None, feed)
    return len(rows) / (time.perf_counter() - started)


def run(rows: int) -> dict[str, float]:
    jars = Path(os.environ.get("CCFLINK_JARS_DIR", PROJECT_ROOT / ".ccflink" / "jars"))
    with tempfile.TemporaryDirectory(prefix="ccflink-bench-") as state:
        settings = Settings(state_dir=Path(state), jars_dir=jars.resolve(), ports=free_ports())
        up_started = time.monotonic()
        try:
            stack.up(settings, say=lambda message: None)
            run_pipeline(settings, say=lambda message: None)
            data = generate(rows, settings.data_dir / "bench", seed=11)
            produce_dataset(
                settings.bootstrap_servers,
                settings.schema_registry_url,
                data.transaction_path.parent,
                settings.state_dir / "dead-letters",
                show_progress=False,
                timestamps="event",
            )
            reader = AvroTopicReader(
                settings.bootstrap_servers, settings.schema_registry_url, PREDICTIONS_TOPIC
            )
            first = last = None
            seen: set[int] = set()
            idle_since = time.monotonic()
            while len(seen) < rows and time.monotonic() - idle_since < 120:
                batch = reader.poll(timeout_ms=500)
                now = time.monotonic()
                if batch:
                    idle_since = now
                    first = first or now
                    last = now
                    seen.update(r.value["TransactionID"] for r in batch)
            reader.close()
            memory = sum(s.memory_bytes for s in stack.status(settings))
            features = AvroTopicReader(
                settings.bootstrap_servers,
                settings.schema_registry_url,
                "transactions_features",
            )
            feature_rows: list[dict] = []
            while len(feature_rows) < len(seen):
                batch = features.poll(timeout_ms=2000)
                if not batch:
                    break
                feature_rows.extend(r.value for r in batch)
            features.close()
            onnx_rate = _onnx_rows_per_second(settings.model_dir, feature_rows)
        finally:
            stack.down(settings)
    scored_rate = len(seen) / (last - first) if first and last and last > first else 0.0
    return {
        "rows": rows,
        "scored": len(seen),
        "scored_per_second": scored_rate,
        "onnx_rows_per_second": onnx_rate,
        "share_of_model_limit": scored_rate / onnx_rate if onnx_rate else 0.0,
        "seconds_up_to_first_prediction": (first - up_started) if first else float("nan"),
        "stack_memory_mb": memory / 2**20,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    figures = run(args.rows)
    print(f"rows replayed:                  {figures['rows']:,}")
    print(f"rows scored:                    {figures['scored']:,}")
    print(f"scored transactions/s:          {figures['scored_per_second']:,.0f}")
    print(f"model alone (ONNX, batched)/s:  {figures['onnx_rows_per_second']:,.0f}")
    print(f"pipeline share of model limit:  {figures['share_of_model_limit']:.1%}")
    print(f"up -> first prediction:         {figures['seconds_up_to_first_prediction']:.0f} s")
    print(f"stack memory after the run:     {figures['stack_memory_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
