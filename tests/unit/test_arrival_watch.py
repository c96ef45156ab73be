"""When `make up` stops watching predictions: all arrived, or they stopped coming."""

from __future__ import annotations

import pytest

from emulator.demo import pipeline
from emulator.demo.pipeline import ArrivalWatch


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(pipeline.time, "monotonic", lambda: now[0])
    return now


def test_done_when_every_expected_prediction_arrived(clock: list[float]) -> None:
    watch = ArrivalWatch(expected=3)
    watch.seen(2)
    assert not watch.done()
    watch.seen(3)
    assert watch.done()


def test_waits_longer_for_the_first_prediction_than_between_later_ones(
    clock: list[float],
) -> None:
    watch = ArrivalWatch(expected=10, idle_timeout=45, startup_timeout=180)
    clock[0] += 100
    assert not watch.done()  # jobs still starting: within the startup allowance
    watch.seen(1)
    assert watch.first_arrival == 1100.0
    clock[0] += 46
    assert watch.done()  # none came for longer than the idle timeout


def test_a_count_that_does_not_grow_is_not_an_arrival(clock: list[float]) -> None:
    watch = ArrivalWatch(expected=10, idle_timeout=45)
    watch.seen(4)
    clock[0] += 30
    watch.seen(4)
    clock[0] += 20
    assert watch.done() and watch.first_arrival == 1000.0


def test_expecting_more_waits_again_after_the_predictions_had_stopped(clock: list[float]) -> None:
    watch = ArrivalWatch(expected=10, idle_timeout=20)
    watch.seen(6)
    clock[0] += 21
    assert watch.done()  # stopped coming: the join holds the rest
    watch.expect_more()  # the join was drained: the rest are on their way
    assert not watch.done()
    watch.seen(10)
    assert watch.done()
