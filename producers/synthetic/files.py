"""The twin's two CSV files, written chunk by chunk from one plan.

Each chunk has its own seeded generator (spawned from the one seed), so memory stays bounded
and the same seed and row count give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.errors import CcflinkError
from common.ieee_cis import IDENTITY_HEADER, TRANSACTION_HEADER
from producers.synthetic.csv_cells import table_cells, write_rows
from producers.synthetic.identity import identity_columns
from producers.synthetic.transactions import transaction_columns
from producers.synthetic.world import plan

CHUNK_ROWS = 25_000


class GenerateError(CcflinkError):
    """A synthetic data set that cannot be made as asked."""


@dataclass(frozen=True)
class GeneratedFiles:
    """Where the two files went and what they hold, for callers that produce or train on them."""

    transaction_path: Path
    identity_path: Path
    transactions: int
    identities: int
    frauds: int


def generate(
    rows: int,
    out_dir: Path,
    seed: int = 42,
    progress: Callable[[int], None] | None = None,
) -> GeneratedFiles:
    """Write train_transaction.csv and train_identity.csv for `rows` transactions."""
    if rows < 1:
        raise GenerateError(f"--rows must be at least 1, not {rows}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    starts = range(0, rows, CHUNK_ROWS)
    plan_seed, *chunk_seeds = np.random.SeedSequence(seed).spawn(1 + len(starts))
    world = plan(rows, plan_seed)
    tx_path, id_path = out_dir / "train_transaction.csv", out_dir / "train_identity.csv"
    identities = 0
    with tx_path.open("w", newline="") as tx_out, id_path.open("w", newline="") as id_out:
        tx_out.write(",".join(TRANSACTION_HEADER) + "\n")
        id_out.write(",".join(IDENTITY_HEADER) + "\n")
        for lo, chunk_seed in zip(starts, chunk_seeds, strict=True):
            rng = np.random.default_rng(chunk_seed)
            chunk = world.rows(np.arange(lo, min(rows, lo + CHUNK_ROWS)))
            tx, v, has_identity = transaction_columns(rng, world, chunk)
            write_rows(tx_out, table_cells(TRANSACTION_HEADER, tx, v))
            ident = identity_columns(rng, world, world.rows(chunk.index[has_identity]))
            write_rows(id_out, table_cells(IDENTITY_HEADER, ident, None))
            identities += int(has_identity.sum())
            if progress is not None:
                progress(int(chunk.index[-1]) + 1)
    return GeneratedFiles(tx_path, id_path, rows, identities, int(world.fraud.sum()))
