"""The fraud model's inputs, in the order of the model's INPUT clause, and the time features.

`pyflink_jobs/sql/` passes exactly these columns to ML_PREDICT, `train.py` fits on them and the
default scoring script reads them; the day/week/month features are computed here the way the
pipeline SQL computes them in Flink (EXTRACT from 2017-11-30 00:00:00 + TransactionDT seconds).
"""

from __future__ import annotations

from datetime import datetime, timedelta

REFERENCE_START = datetime(2017, 11, 30)

NUMERIC_FEATURES: list[str] = [
    "TransactionAmt",
    "card1",
    "card2",
    "card3",
    "card5",
    "addr1",
    "addr2",
    "dist1",
    "dist2",
    "C1",
    "C2",
    "C4",
    "C5",
    "C6",
    "C9",
    "C11",
    "C13",
    "C14",
    "D1",
    "D4",
    "D10",
    "D15",
    "id_01",
    "id_02",
    "id_05",
    "id_06",
    "id_11",
    "id_13",
    "id_17",
    "id_19",
    "id_20",
    "DT_D",
    "DT_W",
    "DT_M",
]

CATEGORICAL_FEATURES: list[str] = [
    "ProductCD",
    "card4",
    "card6",
    "P_emaildomain",
    "R_emaildomain",
    "M4",
    "M5",
    "M6",
    "DeviceType",
    "DeviceInfo",
    "id_12",
    "id_15",
    "id_31",
    "id_38",
]

# The model's INPUT order: numbers first, then strings.
FEATURES: list[str] = NUMERIC_FEATURES + CATEGORICAL_FEATURES

# The model's OUTPUT columns, in the order the scoring script returns them for one row.
OUTPUTS: list[str] = ["predicted_fraud", "fraud_probability"]


def time_features(transaction_dt: int) -> tuple[int, int, int]:
    """(day of year, day of week with Sunday = 1 as Flink's EXTRACT(DOW), month)."""
    moment = REFERENCE_START + timedelta(seconds=int(transaction_dt))
    day_of_week = moment.isoweekday() % 7 + 1
    return moment.timetuple().tm_yday, day_of_week, moment.month
