"""Plain-text tables the text reports share: one look for every report on a terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def show(value: Any) -> str:
    """A value as a cell: null for None, six significant digits for floats."""
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Lines of a table: the first column left-aligned, the others right-aligned.

    String cells are printed as they are, other cells through `show`.
    """
    cells = [[c if isinstance(c, str) else show(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    for row in cells:
        aligned = [row[0].ljust(widths[0])]
        aligned += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        out.append("  ".join(aligned).rstrip())
    return out
