"""Vectorised draws every part of the generator shares: tables by share, gaps as NaN or ''.

Each helper turns uniforms (or a generator) into a whole column at once, so chunks of tens of
thousands of rows are drawn without Python loops over rows.
"""

from __future__ import annotations

import numpy as np

from producers.synthetic.csv_cells import Cat

Rng = np.random.Generator


def pick(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Index drawn from `probs` for each uniform in `u` (inverse CDF, vectorised)."""
    cdf = np.cumsum(probs) / np.sum(probs)
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(probs) - 1)


def pick_by(u: np.ndarray, flag: np.ndarray, probs: np.ndarray, flagged: np.ndarray) -> np.ndarray:
    """Like pick, with `flagged` probabilities where `flag` is set (e.g. fraud rows)."""
    return np.where(flag, pick(u, flagged), pick(u, probs))


def top_or_range(
    rng: Rng, n: int, top: np.ndarray, top_p: np.ndarray, lo: int, hi: int
) -> np.ndarray:
    """Common values with their shares; the remaining share uniform on [lo, hi]."""
    u = rng.random(n)
    idx = pick(u, np.append(top_p, max(0.0, 1.0 - top_p.sum())))
    tail = rng.integers(lo, hi + 1, n)
    return np.where(idx < len(top), top[np.minimum(idx, len(top) - 1)], tail).astype(float)


def nan_unless(present: np.ndarray, values: np.ndarray) -> np.ndarray:
    """`values` where `present`, else missing (an empty numeric cell)."""
    return np.where(present, values, np.nan)


def cat_unless(present: np.ndarray, codes: np.ndarray, vocab: tuple[str, ...]) -> Cat:
    """`codes` into `vocab` where `present`, else missing (an empty string cell)."""
    return Cat(np.where(present, codes, -1), vocab)


def flag_code(u: np.ndarray, p_first: np.ndarray | float) -> np.ndarray:
    """Code 0 (a two-value vocabulary's first entry) with probability `p_first`, else 1."""
    return (u >= p_first).astype(np.int64)
