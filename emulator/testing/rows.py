"""Rows a test produces, whatever holds them: a list of dicts, a pandas DataFrame, a CSV file.

Each becomes one `Rows` (the column names, one dict per row, and where each row came from),
so fitting rows to a table's declared record (`records.py`) is written once. CSV cells stay
text: they are converted to each field's type as the CLI's producer converts them.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from common.errors import CcflinkError

RowsInput = Sequence[Mapping[str, Any]] | pd.DataFrame | str | os.PathLike[str]


class RowError(CcflinkError):
    """Rows that cannot be written as the table declares them; the message names each row,
    its field and why. Nothing was sent."""


@dataclass(frozen=True)
class Rows:
    columns: list[str]
    values: list[dict[str, Any]]
    places: list[str]  # where each row came from: `rows[3]`, `row 'a'`, `line 5 of x.csv`
    source: str  # what the columns come from, for refusals that name none of them


def rows_of(data: RowsInput) -> Rows:
    """The rows of `data`; a str or a path is a CSV file with a header line."""
    if isinstance(data, pd.DataFrame):
        return _frame_rows(data)
    if isinstance(data, str | os.PathLike):
        return _csv_rows(Path(data))
    return _dict_rows(data)


def _dict_rows(data: Sequence[Mapping[str, Any]]) -> Rows:
    values, columns = [], {}
    for number, row in enumerate(data):
        if not isinstance(row, Mapping):
            raise RowError(f"rows[{number}] is a {type(row).__name__}, not a dict of columns")
        values.append(dict(row))
        columns.update(dict.fromkeys(row))
    places = [f"rows[{number}]" for number in range(len(values))]
    return Rows(list(columns), values, places, "the rows")


def _frame_rows(frame: pd.DataFrame) -> Rows:
    """NaN and NA are nulls; cells are Python values (pandas' own types are objects here)."""
    cells = frame.astype(object).where(frame.notna(), None)
    values = [{str(k): v for k, v in row.items()} for row in cells.to_dict("records")]
    places = [f"row {label!r}" for label in frame.index]
    return Rows([str(c) for c in frame.columns], values, places, "the DataFrame")


def _csv_rows(path: Path) -> Rows:
    if not path.is_file():
        raise RowError(f"CSV file {path} does not exist")
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        values, places = [], []
        for line, cells in enumerate(reader, start=2):
            if not cells:  # a blank line
                continue
            if len(cells) != len(header):
                raise RowError(
                    f"line {line} of {path} has {len(cells)} fields, its header {len(header)}"
                )
            values.append(dict(zip(header, cells, strict=True)))
            places.append(f"line {line} of {path}")
    return Rows(header, values, places, str(path))
