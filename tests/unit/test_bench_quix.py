"""The Quix benchmark's parts that decide its figures: Flink's watermark, the joined row, the
predictions compared, and ccflink's faithful figure read from BENCHMARKS.md."""

from __future__ import annotations

from pathlib import Path

from benchmarks import report
from benchmarks.quix.compare import Predictions, compare
from benchmarks.quix.watermark import Watermark, joined
from benchmarks.quix_pipeline import FAITHFUL_SECTION, faithful_figure


def test_the_watermark_waits_for_every_partition_of_both_topics() -> None:
    watermark = Watermark(partitions=2, delay_ms=200)
    assert watermark.advance("transactions", 0, 10_000) is None
    assert watermark.advance("transactions", 1, 20_000) is None
    assert watermark.advance("identities", 0, 30_000) is None
    assert watermark.advance("identities", 1, 40_000) == 10_000 - 200


def test_the_watermark_is_the_oldest_newest_time_and_never_goes_back() -> None:
    watermark = Watermark(partitions=1, delay_ms=200)
    watermark.advance("identities", 0, 50_000)
    assert watermark.advance("transactions", 0, 60_000) == 49_800
    assert watermark.advance("identities", 0, 70_000) == 59_800
    assert watermark.advance("identities", 0, 65_000) == 59_800  # an older record
    assert watermark.advance("transactions", 0, 90_000) == 69_800


def test_a_joined_row_is_the_transaction_with_the_identity_columns() -> None:
    transaction = {"TransactionID": 7, "TransactionDT": 100, "card1": 5}
    identity = {"TransactionID": 7, "id_01": -5.0, "DeviceType": "mobile"}
    assert joined(transaction, identity) == {
        "TransactionID": 7,
        "TransactionDT": 100,
        "card1": 5,
        "id_01": -5.0,
        "DeviceType": "mobile",
    }
    assert joined(transaction, None) == transaction
    assert joined(transaction, None) is not transaction


def test_predictions_compared_by_transaction() -> None:
    first = Predictions({1: (0, 0.1), 2: (1, 0.9), 3: (0, 0.2)}, 0, 1_000)
    second = Predictions({1: (0, 0.1), 2: (1, 0.8), 4: (0, 0.3)}, 0, 2_000)
    comparison = compare(first, second)
    assert (comparison.both, comparison.differing) == (2, [2])
    assert (comparison.only_first, comparison.only_second) == ([3], [4])
    assert not comparison.identical
    assert compare(first, first).identical
    assert (first.rate, second.rate) == (3.0, 1.5)


def test_the_faithful_figure_comes_from_its_section(tmp_path: Path) -> None:
    path = tmp_path / "BENCHMARKS.md"
    assert faithful_figure(path) is None
    body = report.header("### faithful", "cmd", "Machine.") + report.table(
        ["figure", "measured", "goal"],
        [["scored transactions/s (first to last prediction)", "1,234", ">= 1,000"]],
    )
    report.write_section(
        "pipeline_end_to_end/batched",
        "| scored transactions/s (first to last prediction) | 9,999 |",
        path,
    )
    assert faithful_figure(path) is None
    report.write_section(FAITHFUL_SECTION, body, path)
    rate, when = faithful_figure(path)  # type: ignore[misc]
    assert rate == 1_234
    assert when.endswith("UTC")
