"""Azure ML request bodies and response parsing, as Confluent's azureml provider does them.

Only the default pair is here for now: `AZUREML-PANDAS-DATAFRAME` requests (one row, pandas
"split" orientation under `input_data`) and `JSON-ARRAY` responses.
"""

from __future__ import annotations

import json
import math
from typing import Any


class PredictionError(RuntimeError):
    """The model's answer could not be turned into the OUTPUT columns; fails the statement."""


def pandas_dataframe_body(columns: list[str], row: list[Any]) -> bytes:
    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return value

    payload = {"input_data": {"index": [0], "columns": columns, "data": [[clean(v) for v in row]]}}
    return json.dumps(payload, separators=(",", ":")).encode()


def parse_json_array(body: bytes, output_count: int) -> list[Any]:
    """One value per OUTPUT column; `[0]` and `[[0]]` both give 0 for a single output."""
    try:
        parsed = json.loads(body)
    except json.JSONDecodeError as error:
        raise PredictionError(f"ML prediction response was not JSON: {body[:200]!r}") from error
    if not isinstance(parsed, list):
        raise PredictionError(f"ML prediction response was not a JSON array: {body[:200]!r}")
    if len(parsed) == 1 and isinstance(parsed[0], list) and output_count > 1:
        parsed = parsed[0]
    if len(parsed) != output_count:
        raise PredictionError(
            "Unexpected number of results from ML Predict. "
            f"Expected {output_count} but got {len(parsed)}"
        )
    if output_count == 1 and isinstance(parsed[0], list) and len(parsed[0]) == 1:
        return [parsed[0][0]]
    return parsed
