"""The CSV loader fuzzed with mutated IEEE-CIS transaction rows.

Rows come from the synthetic twin (Kaggle's train_transaction.csv header and cell formats);
Hypothesis picks some and mutates each in a way whose verdict is known: a field dropped or
added, a number that does not parse, a fraction in an integer column, an empty TransactionID,
an integer past the Avro `int` the pipeline's schema declares (bad); a quoted string holding a
comma, any other text in a string column (good). Every bad row must be dead-lettered with its
line and a reason, every good row read, written by the producers' encoder with the schema they
register, and decoded back to the values of its line.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import fastavro
import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from common.avro.encoder import BatchEncoder
from common.avro.wire import HEADER_SIZE
from producers.csv_source import DeadLetters, read_batches, read_header, read_records
from producers.declared import plan_record
from producers.produce import TRANSACTIONS, TopicPlan, schemas_for
from producers.synthetic.files import generate
from tests.fuzzing import bounded

ROWS = 40
EXAMPLES = 40
INT32_MAX = 2**31 - 1
HEADER = TRANSACTIONS.header
AMOUNT, DT, PRODUCT = (HEADER.index(n) for n in ("TransactionAmt", "TransactionDT", "ProductCD"))
STRINGS = [HEADER.index(c.name) for c in TRANSACTIONS.columns if c.kind.value == "string"]

# Text without the characters that end a CSV field or line.
CELL_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters=',"\r\n'), max_size=12
)
NOT_A_NUMBER = CELL_TEXT.filter(lambda text: text != "" and not _parses(text))


def _parses(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    files = generate(ROWS, tmp_path_factory.mktemp("synthetic"), seed=15)
    with files.transaction_path.open(newline="") as handle:
        return list(csv.reader(handle))[1:]


def _set(row: list[str], index: int, value: str) -> list[str]:
    return [*row[:index], value, *row[index + 1 :]]


# Each mutation: what it does, whether the row is still good, and the row after it.
MUTATIONS = st.one_of(
    st.just(("a field dropped", False, lambda row: row[:-1])),
    st.just(("a field added", False, lambda row: [*row, "1"])),
    NOT_A_NUMBER.map(
        lambda text: (f"TransactionAmt {text!r}", False, lambda row: _set(row, AMOUNT, text))
    ),
    st.just(("a fraction in TransactionDT", False, lambda row: _set(row, DT, row[DT] + ".5"))),
    st.just(("TransactionID empty", False, lambda row: _set(row, 0, ""))),
    st.integers(INT32_MAX + 1, 2**70).map(
        lambda big: (f"TransactionDT {big}", False, lambda row: _set(row, DT, str(big)))
    ),
    CELL_TEXT.map(
        lambda text: (
            f"ProductCD {text},{text} quoted",
            True,
            lambda row: _set(row, PRODUCT, f"{text},{text}"),
        )
    ),
    st.tuples(st.sampled_from(STRINGS), CELL_TEXT).map(
        lambda pick: (
            f"{HEADER[pick[0]]} {pick[1]!r}",
            True,
            lambda row: _set(row, pick[0], pick[1]),
        )
    ),
)


def _file(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _decoded(path: Path, dead: DeadLetters) -> list[dict]:
    """Every value record the producers would send for `path` (they read the key's and the
    value's columns), decoded with the schema they register."""
    key_schema, value_schema = schemas_for(TRANSACTIONS, timestamp_field=None)
    key = plan_record("transactions", "key", 1, key_schema, HEADER, None)
    value = plan_record("transactions", "value", 2, value_schema, HEADER, None)
    columns = TopicPlan(TRANSACTIONS, path, key, value).columns
    encoder = BatchEncoder(value.schema_id, value.fields)
    parsed = fastavro.parse_schema(value_schema)
    records = []
    for batch in read_batches(path, HEADER, columns, dead, block_bytes=4096):
        buffer, starts = encoder.encode(batch)
        for begin, end in itertools.pairwise(starts):
            message = io.BytesIO(buffer[begin + HEADER_SIZE : end])
            records.append(fastavro.schemaless_reader(message, parsed, parsed))
    return records


@given(mutated=st.dictionaries(st.integers(0, ROWS - 1), MUTATIONS, min_size=1, max_size=ROWS // 2))
@bounded(EXAMPLES)
def test_bad_rows_are_dead_lettered_good_rows_are_produced(
    rows: list[list[str]], mutated: dict, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("fuzzed")
    lines = [mutated[i][2](row) if i in mutated else row for i, row in enumerate(rows)]
    bad = {i + 2 for i, (_, good, _) in mutated.items() if not good}  # line 1 is the header
    note(f"mutations by line: { {i + 2: what for i, (what, _, _) in mutated.items()} }")
    good_rows = [row for i, row in enumerate(lines) if i + 2 not in bad]
    path = _file(folder / "train_transaction.csv", lines)
    assert read_header(path, HEADER) == HEADER

    dead = DeadLetters(folder / "transactions.dead-letter.tsv")
    records = _decoded(path, dead)
    assert [r["TransactionDT"] for r in records] == [int(row[DT]) for row in good_rows]
    assert [r["ProductCD"] for r in records] == [row[PRODUCT] or None for row in good_rows]
    # one entry a line ("\n"): a row's text may hold other line breaks Python knows
    written = dead.path.read_text().split("\n")[1:-1] if bad else []
    entries = [line.split("\t", 2) for line in written]
    assert {int(entry[0]) for entry in entries} == bad and dead.count == len(bad)
    assert all(entry[1] for entry in entries)

    slow = DeadLetters(folder / "slow.dead-letter.tsv")
    read = list(read_records(path, HEADER, TRANSACTIONS.columns, slow))
    assert len(read) == len(good_rows) and slow.count == len(bad)
