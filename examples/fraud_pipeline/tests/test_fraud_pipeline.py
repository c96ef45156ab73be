"""The fraud pipeline's behaviours, tested on a local Confluent Cloud.

Rows go into the source tables as those declare them; results are read from the tables the
statements write (committed records, as any Confluent consumer reads them). Each test uses
transaction ids of its own, since the tests share the pipeline.

The last test drains the join, which finishes it (COMPLETED, as a statement that read a
bounded input to its end): keep it last.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.testing.harness import Ccflink
from emulator.testing.reading import ReadTimeout
from emulator.testing.rows import RowError

DATA = Path(__file__).resolve().parent.parent / "data"
JOINED_ID, REFUSED_ID, UNMATCHED_ID = 9_000_001, 9_000_002, 9_000_003
# Scoring starts the Python workers of a job's first ML_PREDICT call: give it time.
RESULT_TIMEOUT_S = 180


def transaction(transaction_id: int, **fields: object) -> dict[str, object]:
    """A transaction with the columns the table needs and a few the model reads."""
    return {
        "TransactionID": transaction_id,
        "isFraud": 0,
        "TransactionDT": 86_400,
        "TransactionAmt": 49.5,
        "ProductCD": "W",
        "card1": 9_500,
        "card4": "visa",
        "card6": "debit",
        "P_emaildomain": "gmail.com",
        **fields,
    }


def only(transaction_id: int) -> Callable[[dict], bool]:
    return lambda row: row["TransactionID"] == transaction_id


def test_a_transaction_with_its_identity_within_the_minute_is_joined(pipeline: Ccflink) -> None:
    pipeline.produce("transactions", [transaction(JOINED_ID)])
    pipeline.produce("identities", [{"TransactionID": JOINED_ID, "DeviceType": "mobile"}])

    [joined] = pipeline.read("transactions_enriched", where=only(JOINED_ID), timeout=120)

    assert joined["DeviceType"] == "mobile"
    assert joined["TransactionAmt"] == 49.5


def test_every_transaction_gets_exactly_one_prediction(pipeline: Ccflink) -> None:
    with (DATA / "transactions.csv").open() as rows:
        ids = {int(row["TransactionID"]) for row in csv.DictReader(rows)}
    pipeline.produce("transactions", DATA / "transactions.csv")
    pipeline.produce("identities", DATA / "identities.csv")

    predictions = pipeline.read(
        "fraud_predictions",
        count=len(ids),
        where=lambda row: row["TransactionID"] in ids,
        timeout=RESULT_TIMEOUT_S,
    )

    assert sorted(row["TransactionID"] for row in predictions) == sorted(ids)
    assert all(row["predicted_fraud"] in (0, 1) for row in predictions)
    assert all(0.0 <= row["fraud_probability"] <= 1.0 for row in predictions)


def test_a_row_that_does_not_fit_its_table_is_refused(pipeline: Ccflink) -> None:
    with pytest.raises(RowError, match=r"rows\[0\]: field `TransactionAmt` \(double\): 'twelve'"):
        pipeline.produce("transactions", [transaction(REFUSED_ID, TransactionAmt="twelve")])


def test_a_transaction_without_identity_is_emitted_once_the_watermark_passes(
    pipeline: Ccflink,
) -> None:
    pipeline.produce("transactions", [transaction(UNMATCHED_ID)])
    with pytest.raises(ReadTimeout):  # held: an identity row may still come within the minute
        pipeline.read("transactions_enriched", where=only(UNMATCHED_ID), timeout=15)

    pipeline.drain("transactions_enriched")  # the watermark to the end: no newer rows will come

    [unmatched] = pipeline.read("transactions_enriched", where=only(UNMATCHED_ID), timeout=120)
    assert unmatched["DeviceType"] is None
    [scored] = pipeline.read("fraud_predictions", where=only(UNMATCHED_ID), timeout=120)
    assert scored["predicted_fraud"] in (0, 1)
