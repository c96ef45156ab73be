"""Azure ML scoring script for the fraud ONNX model (`init()` / `run(raw_data)` contract).

Self-contained on purpose (json, os, numpy, onnxruntime only): the same file runs in our
gunicorn app and, unchanged, under Microsoft's azureml-inference-server-http in Azure.
It answers with plain lists, because Confluent's JSON-ARRAY parser wants `[label, probability]`
for a model with two OUTPUT columns and cannot read numpy values or a JSON string.
"""

from __future__ import annotations

import json
import os

import numpy as np
import onnxruntime as ort

PAYLOAD_KEYS = ("input_data", "dataframe_split")

_session: ort.InferenceSession | None = None
_numeric: list[str] = []
_categorical: list[str] = []
_missing_string = ""
# Read by the server for GET /swagger.json (set in init(), once the feature list is known).
input_sample: dict | None = None
output_sample: list = [0, 0.0123]


def init() -> None:
    """Load `$AZUREML_MODEL_DIR/model/fraud.onnx` and the feature list written next to it."""
    global _session, _numeric, _categorical, _missing_string, input_sample
    folder = os.path.join(os.environ["AZUREML_MODEL_DIR"], "model")
    with open(os.path.join(folder, "metadata.json"), encoding="utf-8") as handle:
        metadata = json.load(handle)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        os.path.join(folder, "fraud.onnx"), options, providers=["CPUExecutionProvider"]
    )
    features = metadata["features"]
    inputs = {i.name for i in session.get_inputs()}
    if {f["name"] for f in features} != inputs:
        raise ValueError("metadata.json features do not match the ONNX model's inputs")
    _numeric = [f["name"] for f in features if f["kind"] == "numeric"]
    _categorical = [f["name"] for f in features if f["kind"] == "categorical"]
    _missing_string = metadata.get("missing_string", "")
    _session = session
    example = [0.0 if f["kind"] == "numeric" else "" for f in features]
    columns = [f["name"] for f in features]
    input_sample = {"input_data": {"columns": columns, "index": [0], "data": [example]}}


def _split_frame(raw_data: str | bytes) -> tuple[list[str], list[list[object]]]:
    """Columns and rows of a pandas split frame under `input_data` or `dataframe_split`."""
    try:
        body = json.loads(raw_data)
    except (TypeError, ValueError) as error:
        raise ValueError(f"request body is not valid JSON: {error}") from None
    key = next((k for k in PAYLOAD_KEYS if isinstance(body, dict) and k in body), None)
    if key is None:
        raise ValueError("request body needs a top-level 'input_data' or 'dataframe_split' object")
    frame = body[key]
    if not isinstance(frame, dict) or "columns" not in frame or "data" not in frame:
        raise ValueError(f"'{key}' must be a pandas split object with 'columns' and 'data'")
    columns, rows = frame["columns"], frame["data"]
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise ValueError(f"'{key}.columns' and '{key}.data' must be lists")
    for number, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise ValueError(f"'{key}.data[{number}]' must be a list of {len(columns)} values")
    return columns, rows


def _number(value: object, column: str) -> float:
    if value is None:
        return np.nan
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"column '{column}' needs a number or null, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"column '{column}' needs a number or null, got {value!r}") from None


def _feed(columns: list[str], rows: list[list[object]]) -> dict[str, np.ndarray]:
    """One `[N, 1]` array per model input, looked up by column name; null means missing."""
    position = {name: i for i, name in enumerate(columns)}
    missing = [n for n in _numeric + _categorical if n not in position]
    if missing:
        raise ValueError(f"input lacks model columns: {', '.join(missing)}")
    feed: dict[str, np.ndarray] = {}
    for name in _numeric:
        i = position[name]
        values = [_number(row[i], name) for row in rows]
        feed[name] = np.array(values, dtype=np.float32).reshape(-1, 1)
    for name in _categorical:
        i = position[name]
        values = [_missing_string if row[i] is None else str(row[i]) for row in rows]
        feed[name] = np.array(values, dtype=object).reshape(-1, 1)
    return feed


def run(raw_data: str) -> list:
    """`[predicted_fraud, fraud_probability]` for one row; a list of such pairs for several."""
    if _session is None:
        raise RuntimeError("init() has not been called")
    columns, rows = _split_frame(raw_data)
    if not rows:
        return []
    labels, probabilities = _session.run(None, _feed(columns, rows))
    pairs = [
        [int(label), float(probability)]
        for label, probability in zip(labels.ravel(), probabilities[:, 1], strict=True)
    ]
    return pairs[0] if len(pairs) == 1 else pairs
