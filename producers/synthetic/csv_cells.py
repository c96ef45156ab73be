"""Generated columns and how they become Kaggle's CSV text.

The generator hands over whole columns (numbers, or `Cat` codes into a vocabulary); this
module renders them exactly as Kaggle's files spell values, so the twin's bytes match the
real layout and the same seed always gives the same file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np


@dataclass(frozen=True)
class Cat:
    """A string column as codes into a vocabulary; code -1 is missing (an empty field)."""

    codes: np.ndarray
    vocab: tuple[str, ...]


Column = np.ndarray | Cat

_WHOLE_LO, _WHOLE_HI = -1_000, 20_000
# "1.0", "-480.0" ... for whole numbers in range, and "" (missing) as the last entry.
_WHOLE_TEXT = np.array([repr(float(i)) for i in range(_WHOLE_LO, _WHOLE_HI)] + [""], dtype=object)


def format_floats(values: np.ndarray) -> np.ndarray:
    """Float cells as Kaggle wrote them: shortest repr ('150.0', '75.887'), NaN as empty.

    Whole numbers, nearly all cells, come from a lookup table; numpy's float-to-str conversion
    gives the same shortest round-trip text as Python's repr for the rest.
    """
    flat = values.ravel()
    codes = np.full(flat.shape, len(_WHOLE_TEXT) - 1, dtype=np.int64)
    present = ~np.isnan(flat)
    whole = present & (flat == np.floor(flat)) & (flat >= _WHOLE_LO) & (flat < _WHOLE_HI)
    codes[whole] = flat[whole].astype(np.int64) - _WHOLE_LO
    text = _WHOLE_TEXT[codes]
    rest = present & ~whole
    if rest.any():
        text[rest] = flat[rest].astype(str)
    return text.reshape(values.shape)


def _format(column: Column) -> np.ndarray:
    if isinstance(column, Cat):
        table = np.array([*column.vocab, ""], dtype=object)
        return table[column.codes]
    if np.issubdtype(column.dtype, np.integer):
        return column.astype(str).astype(object)
    return format_floats(column)


def write_rows(out: TextIO, cells: np.ndarray) -> None:
    """Append `cells` as CSV lines: one write per chunk, not per row."""
    if len(cells):
        out.write("\n".join(map(",".join, cells.tolist())))
        out.write("\n")


def table_cells(
    header: Sequence[str], cols: dict[str, Column], extra: np.ndarray | None
) -> np.ndarray:
    """Formatted cells in header order; `extra` (already numeric) fills the trailing columns."""
    named = [_format(cols[name]) for name in header[: len(cols)]]
    n = len(named[0])
    cells = np.empty((n, len(header)), dtype=object)
    for j, text in enumerate(named):
        cells[:, j] = text
    if extra is not None:
        cells[:, len(named) :] = format_floats(extra)
    return cells
