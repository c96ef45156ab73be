"""`python -m producers.synthetic`: write the twin from the command line (the model server's
container trains on it)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from producers import synthetic
from producers.synthetic.files import generate


def main(argv: Sequence[str] | None = None) -> None:
    """Generate `--rows` transactions into `--out` and say how many were fraud."""
    parser = argparse.ArgumentParser(
        prog="python -m producers.synthetic", description=synthetic.__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=590_540, help="transactions to generate")
    parser.add_argument("--out", type=Path, required=True, help="directory for the two CSVs")
    parser.add_argument("--seed", type=int, default=42, help="same seed and rows: same bytes")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    files = generate(args.rows, args.out, args.seed)
    print(
        f"wrote {files.transactions} transactions ({files.frauds} fraud, "
        f"{files.frauds / files.transactions:.2%}) and {files.identities} identity rows "
        f"to {args.out} in {time.perf_counter() - began:.1f}s"
    )
