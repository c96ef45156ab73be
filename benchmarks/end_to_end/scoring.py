"""The model without the pipeline around it: what scoring costs on its own.

ONNX in this process gives the model's limit; requests straight to the model server give the
endpoint's cost per request; the scoring job's own metrics say what ML_PREDICT saw.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import requests

from benchmarks.end_to_end.figures import EndpointProbe
from benchmarks.stack_probes import job_tables
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.demo import PREDICTIONS_TOPIC
from emulator.flink.rest import FlinkRest
from pyflink_jobs.ml_formats import ModelCodec
from pyflink_jobs.ml_predict import METRIC_GROUP

MODEL = "fraud_detection"  # pyflink_jobs/sql/04_model.sql


def onnx_rows_per_second(model_dir: Path, rows: list[dict], batch: int) -> float:
    """The exported model in this process on the same feature rows, `batch` rows per run.

    Arrays are built beforehand: only the model's own work is timed.
    """
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
    for at in range(0, len(rows), batch):
        session.run(None, {name: array[at : at + batch] for name, array in feed.items()})
    return len(rows) / (time.perf_counter() - started)


def probe_endpoint(
    settings: Settings, rows: list[dict], rows_per_request: int, count: int
) -> EndpointProbe:
    """Time the model server alone with the bodies ML_PREDICT sends (the model's own codec)."""
    version = Catalog.for_state(settings.state_dir).models[MODEL].get(None)
    codec = ModelCodec.create(
        [(c.name, c.type) for c in version.inputs], [(c.name, c.type) for c in version.outputs]
    )
    names = [c.name for c in version.inputs]
    values = [tuple(row.get(name) for name in names) for row in rows]
    session = requests.Session()
    session.headers.update(
        {"Authorization": f"Bearer {settings.model_api_key()}", **codec.headers()}
    )
    encode = round_trip = run = 0.0
    for number in range(count):
        at = number * rows_per_request % max(1, len(values) - rows_per_request)
        chunk = values[at : at + rows_per_request]
        started = time.perf_counter()
        body = codec.encode(chunk[0]) if rows_per_request == 1 else codec.encode_batch(chunk)
        sent = time.perf_counter()
        response = session.post(f"{settings.model_server_url}/score", data=body, timeout=30)
        round_trip += time.perf_counter() - sent
        encode += sent - started
        response.raise_for_status()
        run += float(response.headers.get("x-ms-run-fn-exec-ms", "nan"))
    session.close()
    return EndpointProbe(
        rows_per_request, count, encode * 1000 / count, round_trip * 1000 / count, run / count
    )


def model_calls(settings: Settings) -> tuple[float, float]:
    """Requests the scoring job sent, and their mean latency as its subtasks measured it."""
    job = next(j for j, table in job_tables(settings).items() if table == PREDICTIONS_TOPIC)
    metrics = FlinkRest(settings.flink_rest_url).metrics(job, METRIC_GROUP)
    count = metrics.get(f"{MODEL}.latency_ms_count", 0.0)
    mean = metrics.get(f"{MODEL}.latency_ms_sum", 0.0) / count if count else float("nan")
    return metrics.get(f"{MODEL}.requests", 0.0), mean
