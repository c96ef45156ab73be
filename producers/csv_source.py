"""Reading IEEE-CIS CSV files (Kaggle's or the synthetic twin) into typed records.

The header is checked against the Kaggle header before anything is sent; a row that cannot be
read (wrong field count, a number that does not parse) goes to a dead-letter file with its line
number and the reason, and reading goes on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from producers.columns import Column, Kind, normalize_identity_name


class HeaderError(ValueError):
    """The file is not the IEEE-CIS file it should be."""


@dataclass
class DeadLetters:
    path: Path
    count: int = 0

    def add(self, line: int, reason: str, raw: list[str]) -> None:
        if self.count == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("line\treason\trow\n")
        with self.path.open("a") as handle:
            handle.write(f"{line}\t{reason}\t{','.join(raw)[:500]}\n")
        self.count += 1


def _convert(value: str, kind: Kind) -> Any:
    if value == "":
        if kind is Kind.INT:
            raise ValueError("empty value in a column that is never missing")
        return None
    if kind is Kind.INT:
        number = float(value)
        if not number.is_integer():
            raise ValueError(f"{value!r} is not an integer")
        return int(number)
    if kind is Kind.FLOAT:
        return float(value)
    return value


def read_records(
    path: Path, expected_header: list[str], wanted: list[Column], dead_letters: DeadLetters
) -> Iterator[dict[str, Any]]:
    """Yield one dict per good row, holding only the `wanted` columns."""
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = [normalize_identity_name(name) for name in next(reader, [])]
        if header[: len(expected_header)] != expected_header and header != [
            h for h in expected_header if h != "isFraud"
        ]:
            missing = [h for h in expected_header if h not in header]
            raise HeaderError(
                f"{path}: header is not the IEEE-CIS header "
                f"(missing {missing[:5]}{'...' if len(missing) > 5 else ''})"
            )
        positions = [
            (column, header.index(column.name)) for column in wanted if column.name in header
        ]
        for number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                dead_letters.add(number, f"{len(row)} fields, expected {len(header)}", row)
                continue
            try:
                yield {
                    column.name: _convert(row[index], column.kind) for column, index in positions
                }
            except ValueError as error:
                dead_letters.add(number, str(error), row)
