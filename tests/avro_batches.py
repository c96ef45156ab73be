"""Records turned into the column batches `common.avro.encoder.BatchEncoder` encodes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from common.avro.encoder import Field
from producers.csv_source import Batch


def batch_of(records: list[dict[str, Any]], fields: list[Field]) -> Batch:
    """The records column by column, as the producers read them from a CSV file."""
    values: dict[str, Any] = {}
    nulls: dict[str, np.ndarray] = {}
    for f in fields:
        column = [r[f.name] for r in records]
        nulls[f.name] = np.array([v is None for v in column], dtype=bool)
        if f.type == "string":
            values[f.name] = pa.array(column, type=pa.string())
        elif f.type == "double":
            values[f.name] = np.array([np.nan if v is None else v for v in column])
        else:
            values[f.name] = np.array([0 if v is None else v for v in column], dtype=np.int64)
    return Batch(len(records), values, nulls, np.arange(2, 2 + len(records)))
