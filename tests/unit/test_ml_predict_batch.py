"""The batching extension's conversions: pandas columns in, the one-row path's values out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pyflink_jobs.ml_formats import ModelCodec
from pyflink_jobs.ml_predict import AzureMLBatchPredict, _python_values

CODEC = ModelCodec.create(
    [("amount", "DOUBLE"), ("count", "INT"), ("product", "STRING")],
    [("label", "INT"), ("score", "DOUBLE")],
)


class RecordingClient:
    """Stands in for the HTTP client: keeps the body, answers one [label, score] per row."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def post(self, body: bytes) -> bytes:
        self.bodies.append(json.loads(body))
        rows = self.bodies[-1]["input_data"]["data"]
        return json.dumps([[int(r[1] or 0) % 2, r[0] or 0.0] for r in rows]).encode()


def test_nulls_become_none_and_integers_stay_integers() -> None:
    # Arrow hands a nullable INT column to pandas as floats with NaN.
    assert _python_values(pd.Series([1.0, float("nan"), 3.0]), "INT") == [1, None, 3]
    assert _python_values(pd.Series([1.5, float("nan")]), "DOUBLE") == [1.5, None]
    assert _python_values(pd.Series(["W", None]), "STRING") == ["W", None]
    assert _python_values(pd.Series([1, None], dtype="Int64"), "BIGINT") == [1, None]


def test_a_batch_is_one_request_and_one_output_row_per_input_row() -> None:
    client = RecordingClient()
    function = AzureMLBatchPredict(CODEC, client)  # type: ignore[arg-type]

    frame = function.eval(
        pd.Series([10.5, float("nan"), 2.0]),
        pd.Series([1.0, 2.0, float("nan")]),
        pd.Series(["W", "C", None]),
    )

    [body] = client.bodies
    assert body["input_data"]["columns"] == ["amount", "count", "product"]
    assert body["input_data"]["data"] == [[10.5, 1, "W"], [None, 2, "C"], [2.0, None, None]]
    assert list(frame.columns) == ["label", "score"]
    assert frame.values.tolist() == [[1, 10.5], [0, 0.0], [0, 2.0]]


def test_a_batch_sends_each_row_as_the_one_row_path_sends_it() -> None:
    client = RecordingClient()
    function = AzureMLBatchPredict(CODEC, client)  # type: ignore[arg-type]
    amounts = [10.5, float("nan"), float("inf"), 2.0]
    counts = [1.0, 2.0, float("nan"), -4.0]
    products = ["W", "é", None, ""]

    function.eval(pd.Series(amounts), pd.Series(counts), pd.Series(products))

    one_row = [
        json.loads(CODEC.encode(row))["input_data"]["data"][0]
        for row in [(10.5, 1, "W"), (None, 2, "é"), (float("inf"), None, None), (2.0, -4, "")]
    ]
    assert client.bodies[0]["input_data"]["data"] == one_row
    assert one_row[2] == [None, None, None]


def test_only_pandas_in_and_json_array_out_accept_batches() -> None:
    assert CODEC.accepts_batches
    csv = ModelCodec.create([("a", "DOUBLE")], [("y", "INT")], input_format="CSV")
    assert not csv.accepts_batches
    with pytest.raises(ValueError, match="pandas input format"):
        csv.encode_batch([[1.0]])
