"""Reading IEEE-CIS CSV files (Kaggle's or the synthetic twin) into typed records.

The header is checked against the Kaggle header before anything is sent; a row that cannot be
read (wrong field count, a number that does not parse) goes to a dead-letter file with its line
number and the reason, and reading goes on.

Two readers share those rules: `read_batches`, the fast one the producers use (Arrow's CSV
parser in C++, only the wanted columns converted, in batches of a few thousand rows so memory
stays bounded whatever the file size), and `read_records`, one dict per row in pure Python.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from common.errors import CcflinkError
from common.ieee_cis import Column, Kind, normalize_identity_name

# pyarrow imports pandas on the first `to_numpy` and drops whatever is raised meanwhile: a
# Ctrl-C in that second went unnoticed and the whole file was replayed. Imported here first, a
# KeyboardInterrupt propagates (tests/unit/test_produce_interrupt.py). Without pandas, pyarrow
# has nothing to import either.
with contextlib.suppress(ImportError):
    import pandas  # noqa: F401

BLOCK_BYTES = 4 << 20  # Arrow parses the file in blocks of this size: one batch per block


class HeaderError(CcflinkError):
    """The file is not the IEEE-CIS file it should be."""


@dataclass
class DeadLetters:
    """`<topic>.dead-letter.tsv`: line, reason and (the start of) the raw row, one per line."""

    path: Path
    count: int = 0

    def add(self, line: int, reason: str, raw: list[str] | str) -> None:
        if self.count == 0:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("line\treason\trow\n")
        text = raw if isinstance(raw, str) else ",".join(raw)
        with self.path.open("a") as handle:
            handle.write(f"{line}\t{reason}\t{text[:500]}\n")
        self.count += 1


class ColumnSpec(Protocol):
    """A column to read: its name, how it is parsed, and whether it may be empty."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> Kind: ...

    @property
    def nullable(self) -> bool: ...

    @property
    def int_range(self) -> tuple[int, int]: ...


# An Avro long has at most 19 digits: a number of more (its exponent past 18) is out of range.
LONG_DIGITS = 18


def convert_cell(value: str, column: ColumnSpec) -> Any:
    """One CSV cell as the column's kind: "" is null where the column may be null."""
    kind = column.kind
    if value == "":
        if not column.nullable:
            raise ValueError("empty value in a column that is never missing")
        return None
    if kind is Kind.STRING:
        return value
    if kind is Kind.FLOAT:
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a number") from None
    # Decimal, not float: a long past 2**53 ("9007199254740993", or "...993.0") stays exact.
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise ValueError(f"{value!r} is not an integer")
    if number.adjusted() > LONG_DIGITS:  # past any Avro long: the integer is never built
        low, high = column.int_range
        raise ValueError(f"{value} is out of the column's integer range ({low} to {high})")
    return _in_range(int(number), column)


def _in_range(integer: int, column: ColumnSpec) -> int:
    low, high = column.int_range
    if not low <= integer <= high:
        raise ValueError(f"{integer} is out of the column's integer range ({low} to {high})")
    return integer


def read_header(path: Path, expected_header: list[str]) -> list[str]:
    """The file's header (Kaggle's `id-01` spelled `id_01`), checked against `expected_header`.

    A file without `isFraud` (Kaggle's test_transaction.csv) passes: it is unlabelled.
    """
    with path.open(newline="") as handle:
        header = [normalize_identity_name(name) for name in next(csv.reader(handle), [])]
    unlabelled = [h for h in expected_header if h != "isFraud"]
    if header[: len(expected_header)] != expected_header and header != unlabelled:
        missing = [h for h in expected_header if h not in header]
        raise HeaderError(
            f"{path}: header is not the IEEE-CIS header "
            f"(missing {missing[:5]}{'...' if len(missing) > 5 else ''})"
        )
    return header


def read_records(
    path: Path, expected_header: list[str], wanted: list[Column], dead_letters: DeadLetters
) -> Iterator[dict[str, Any]]:
    """Yield one dict per good row, holding only the `wanted` columns (slow, pure Python)."""
    header = read_header(path, expected_header)
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        positions = [
            (column, header.index(column.name)) for column in wanted if column.name in header
        ]
        for number, row in enumerate(reader, start=2):
            if len(row) != len(header):
                dead_letters.add(number, f"{len(row)} fields, expected {len(header)}", row)
                continue
            try:
                yield {column.name: convert_cell(row[index], column) for column, index in positions}
            except ValueError as error:
                dead_letters.add(number, str(error), row)


@dataclass
class Batch:
    """Good rows of one block, column by column.

    `values[name]` is a float64 array (FLOAT), an int64 array (INT) or an Arrow string array
    (STRING); `nulls[name]` marks missing values. `lines` are the rows' line numbers.
    """

    rows: int
    values: dict[str, Any]
    nulls: dict[str, np.ndarray]
    lines: np.ndarray


@dataclass
class _LineNumbers:
    """Data row index -> physical line, given the lines Arrow skipped (wrong field count)."""

    skipped: list[int] = field(default_factory=list)

    def of(self, row_indexes: np.ndarray) -> np.ndarray:
        lines = row_indexes.astype(np.int64) + 2  # line 1 is the header
        for skipped in self.skipped:  # ascending; a skipped line pushes later rows down
            lines[lines >= skipped] += 1
        return lines


def _slow_column(strings: list[str | None], column: ColumnSpec) -> tuple[list[Any], dict[int, str]]:
    """Per-value conversion of a column Arrow could not cast: values and {row: reason}."""
    values: list[Any] = []
    errors: dict[int, str] = {}
    for i, text in enumerate(strings):
        try:
            values.append(convert_cell(text or "", column))
        except ValueError as error:
            errors[i] = str(error)
            values.append(None)
    return values, errors


def _typed(column: pa.Array, spec: ColumnSpec) -> tuple[Any, np.ndarray, dict[int, str]]:
    """Convert one string column: (values, null mask, {row: reason} for rows that fail)."""
    kind = spec.kind
    nulls = column.is_null().to_numpy(zero_copy_only=False)
    errors: dict[int, str] = {}
    if not spec.nullable and nulls.any():
        for i in np.flatnonzero(nulls).tolist():
            errors[i] = "empty value in a column that is never missing"
    if kind is Kind.STRING:
        return column, nulls, errors
    target = pa.int64() if kind is Kind.INT else pa.float64()
    try:
        values = pc.cast(column, target).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        slow, slow_errors = _slow_column(column.to_pylist(), spec)
        errors.update(slow_errors)
        fill = 0 if kind is Kind.INT else np.nan
        values = np.array([fill if v is None else v for v in slow], dtype=target.to_pandas_dtype())
    if kind is Kind.INT:
        values = np.where(nulls, 0, values).astype(np.int64)
        low, high = spec.int_range
        for i in np.flatnonzero((values < low) | (values > high)).tolist():
            errors[i] = f"{values[i]} is out of the column's integer range ({low} to {high})"
    return values, nulls, errors


def _raw_lines(path: Path, numbers: set[int]) -> dict[int, str]:
    """The text of some lines of a file (only for dead letters, which are rare)."""
    found: dict[int, str] = {}
    last = max(numbers, default=0)
    with path.open(newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if number in numbers:
                found[number] = line.rstrip("\r\n")
            if number >= last:
                break
    return found


def read_batches(
    path: Path,
    expected_header: list[str],
    wanted: Sequence[ColumnSpec],
    dead_letters: DeadLetters,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[Batch]:
    """Yield the good rows of `path` in batches, converting only the `wanted` columns.

    Wanted columns the file lacks (isFraud in test_transaction.csv) are left out of the batch.
    """
    header = read_header(path, expected_header)
    present = [c for c in wanted if c.name in header]
    lines = _LineNumbers()

    def skip(row: pacsv.InvalidRow) -> str:
        number = row.number if row.number is not None else -1
        lines.skipped.append(number)
        lines.skipped.sort()
        dead_letters.add(number, f"{row.actual_columns} fields, expected {len(header)}", row.text)
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=block_bytes, skip_rows=1, column_names=header
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=skip, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=[c.name for c in present],
            column_types={c.name: pa.string() for c in present},
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
        ),
    )
    first_row = 0
    for record_batch in reader:
        n = record_batch.num_rows
        if n == 0:
            continue
        values: dict[str, Any] = {}
        nulls: dict[str, np.ndarray] = {}
        errors: dict[int, str] = {}
        for column in present:
            array = record_batch.column(column.name)
            values[column.name], nulls[column.name], bad = _typed(array, column)
            for row, reason in bad.items():
                errors.setdefault(row, f"{column.name}: {reason}")
        row_lines = lines.of(np.arange(first_row, first_row + n))
        first_row += n
        if errors:
            bad_rows = np.array(sorted(errors), dtype=np.int64)
            raw = _raw_lines(path, {int(row_lines[i]) for i in bad_rows})
            for i in bad_rows.tolist():
                line = int(row_lines[i])
                dead_letters.add(line, errors[i], raw.get(line, ""))
            keep = np.ones(n, dtype=bool)
            keep[bad_rows] = False
            take = pa.array(np.flatnonzero(keep))
            for column in present:
                name = column.name
                if column.kind is Kind.STRING:
                    values[name] = values[name].take(take)
                else:
                    values[name] = values[name][keep]
                nulls[name] = nulls[name][keep]
            row_lines = row_lines[keep]
            n = int(keep.sum())
            if n == 0:
                continue
        yield Batch(n, values, nulls, row_lines)


def _lenient_floats(column: pa.Array) -> pa.Array:
    """float64 values, null where the text is missing or does not parse."""
    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = []
        for text in column.to_pylist():
            try:
                values.append(float(text))
            except (TypeError, ValueError):
                values.append(None)
        return pa.array(values, type=pa.float64())


def read_int_columns(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """Whole int64 columns of a file (TransactionID, TransactionDT for the timestamp pre-pass).

    Values that do not parse are skipped (those rows are dead-lettered by the main pass).
    """
    header = [normalize_identity_name(n) for n in next(csv.reader(path.open(newline="")), [])]
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in names}
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=16 << 20, skip_rows=1, column_names=header),
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(
            include_columns=names, column_types={n: pa.string() for n in names}
        ),
    )
    for record_batch in reader:
        parsed = {name: _lenient_floats(record_batch.column(name)) for name in names}
        good = None
        for array in parsed.values():
            ok = pc.is_valid(array)
            good = ok if good is None else pc.and_(good, ok)
        for name, array in parsed.items():
            chunks[name].append(array.filter(good).to_numpy(zero_copy_only=False).astype(np.int64))
    return {
        name: np.concatenate(parts) if parts else np.empty(0, np.int64)
        for name, parts in chunks.items()
    }
