"""The batch CSV reader: header checks, typed columns, dead letters with line and reason."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from common.ieee_cis import IDENTITY_HEADER, PIPELINE_IDENTITY_COLUMNS, Column, Kind
from producers.csv_source import (
    DeadLetters,
    HeaderError,
    convert_cell,
    read_batches,
    read_int_columns,
    read_records,
)
from producers.declared import CsvColumn

HEADER = ["TransactionID", "isFraud", "TransactionDT", "TransactionAmt", "ProductCD"]
COLUMNS = [
    Column("TransactionID", Kind.INT),
    Column("isFraud", Kind.INT),
    Column("TransactionDT", Kind.INT),
    Column("TransactionAmt", Kind.FLOAT),
    Column("ProductCD", Kind.STRING),
]


def _write(path: Path, header: list[str], rows: list[str]) -> Path:
    path.write_text(",".join(header) + "\n" + "".join(f"{r}\n" for r in rows))
    return path


def _read(path: Path, dead: DeadLetters, header: list[str] = HEADER, block: int = 1 << 20):
    batches = list(read_batches(path, header, COLUMNS, dead, block_bytes=block))
    ids = [i for b in batches for i in b.values["TransactionID"].tolist()]
    return batches, ids


def test_good_rows_are_typed(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", HEADER, ["1,0,86400,12.5,W", "2,1,86401,,"])
    batches, ids = _read(path, DeadLetters(tmp_path / "dl.tsv"))
    (batch,) = batches
    assert ids == [1, 2]
    assert batch.values["TransactionDT"].tolist() == [86400, 86401]
    assert batch.values["TransactionAmt"][0] == 12.5
    assert batch.nulls["TransactionAmt"].tolist() == [False, True]
    assert batch.values["ProductCD"].to_pylist() == ["W", None]
    assert batch.lines.tolist() == [2, 3]


def test_malformed_rows_go_to_dead_letters_with_line_and_reason(tmp_path: Path) -> None:
    rows = [
        "1,0,86400,12.5,W",
        "2,0,86401,1.0",  # line 3: too few fields
        "3,0,86402,abc,W",  # line 4: not a number
        "4,0,,1.0,W",  # line 5: empty never-missing int
        "5,0,86404.5,1.0,W",  # line 6: not an integer
        "6,0,86405,2.0,C",
    ]
    path = _write(tmp_path / "t.csv", HEADER, rows)
    dead = DeadLetters(tmp_path / "dl.tsv")
    batches, ids = _read(path, dead)
    assert ids == [1, 6]
    assert [line for b in batches for line in b.lines.tolist()] == [2, 7]
    assert dead.count == 4
    lines = dead.path.read_text().splitlines()
    assert lines[0] == "line\treason\trow"
    entries = {int(line.split("\t")[0]): line.split("\t") for line in lines[1:]}
    assert set(entries) == {3, 4, 5, 6}
    assert entries[3][1] == "4 fields, expected 5"
    assert entries[3][2] == "2,0,86401,1.0"
    assert "TransactionAmt" in entries[4][1] and "abc" in entries[4][1]
    assert entries[4][2] == "3,0,86402,abc,W"
    assert "TransactionDT" in entries[5][1] and "empty" in entries[5][1]
    assert "not an integer" in entries[6][1]


def test_line_numbers_hold_across_blocks(tmp_path: Path) -> None:
    rows = [f"{i},0,{86400 + i},1.0,W" for i in range(1, 2001)]
    rows[500] = "x,y"  # line 502
    rows[1500] = "1501,0,bad,1.0,W"  # line 1502
    path = _write(tmp_path / "t.csv", HEADER, rows)
    dead = DeadLetters(tmp_path / "dl.tsv")
    batches, ids = _read(path, dead, block=4096)
    assert len(batches) > 3
    assert len(ids) == 1998
    lines = np.concatenate([b.lines for b in batches])
    assert lines[ids.index(1502)] == 1503
    assert lines[ids.index(1000)] == 1001
    reported = [int(r.split("\t")[0]) for r in dead.path.read_text().splitlines()[1:]]
    assert sorted(reported) == [502, 1502]


def test_unlabelled_file_lacks_is_fraud(tmp_path: Path) -> None:
    header = [h for h in HEADER if h != "isFraud"]
    path = _write(tmp_path / "test_transaction.csv", header, ["7,86400,3.0,W"])
    batches, ids = _read(path, DeadLetters(tmp_path / "dl.tsv"))
    assert ids == [7]
    assert "isFraud" not in batches[0].values


def test_wrong_header_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", ["a", "b"], ["1,2"])
    with pytest.raises(HeaderError):
        list(read_batches(path, HEADER, COLUMNS, DeadLetters(tmp_path / "dl.tsv")))


def test_test_identity_spelling_is_normalised(tmp_path: Path) -> None:
    kaggle_test = [h.replace("id_", "id-") for h in IDENTITY_HEADER]
    row = ",".join(["3663549", "-5.0"] + [""] * (len(IDENTITY_HEADER) - 2))
    path = _write(tmp_path / "test_identity.csv", kaggle_test, [row])
    dead = DeadLetters(tmp_path / "dl.tsv")
    (batch,) = read_batches(path, IDENTITY_HEADER, PIPELINE_IDENTITY_COLUMNS, dead)
    assert batch.values["TransactionID"].tolist() == [3663549]
    assert batch.values["id_01"].tolist() == [-5.0]


def test_batch_and_record_readers_agree(tmp_path: Path) -> None:
    rows = ["1,0,86400,12.5,W", "2,1,86401,,", "3,0,86402,abc,W", "4,0,86403,0.25,H"]
    path = _write(tmp_path / "t.csv", HEADER, rows)
    records = list(read_records(path, HEADER, COLUMNS, DeadLetters(tmp_path / "a.tsv")))
    (batch,) = read_batches(path, HEADER, COLUMNS, DeadLetters(tmp_path / "b.tsv"))
    assert [r["TransactionID"] for r in records] == batch.values["TransactionID"].tolist()
    assert [r["ProductCD"] for r in records] == batch.values["ProductCD"].to_pylist()


def test_int_pre_pass_skips_what_does_not_parse(tmp_path: Path) -> None:
    rows = ["1,0,86400,1.0,W", "2,0,oops,1.0,W", "3,0,90000,1.0,W", "short"]
    path = _write(tmp_path / "t.csv", HEADER, rows)
    columns = read_int_columns(path, ["TransactionID", "TransactionDT"])
    assert columns["TransactionID"].tolist() == [1, 3]
    assert columns["TransactionDT"].tolist() == [86400, 90000]


LONG = CsvColumn("id", Kind.INT, nullable=False)  # an Avro long field


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9007199254740993", 9007199254740993),  # 2**53 + 1: a float would make it ...992
        ("9007199254740993.0", 9007199254740993),
        ("-9223372036854775808", -9223372036854775808),
        ("1e3", 1000),
        (" 42 ", 42),
    ],
)
def test_integers_are_read_exactly(text: str, expected: int) -> None:
    assert convert_cell(text, LONG) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.5", "is not an integer"),
        ("nan", "is not an integer"),
        ("x1", "is not a number"),
        ("9223372036854775808", "out of the column's integer range"),
        ("1e100000000", "out of the column's integer range"),  # never built as an int
    ],
)
def test_what_is_not_an_integer_of_the_column_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        convert_cell(text, LONG)
