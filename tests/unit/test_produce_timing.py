"""Event-time timestamps anchored at now, identity lookups, and real-time pacing."""

from __future__ import annotations

import numpy as np

from producers.timing import DtIndex, EventClock, clock_for

NOW = 1_700_000_000_000


def test_last_transaction_lands_at_now() -> None:
    dts = np.array([86_400, 86_401, 86_460, 15_811_131])
    clock = clock_for(dts, NOW)
    stamps = clock.timestamps_ms(dts)
    assert stamps[-1] == NOW
    assert stamps[0] == NOW - (15_811_131 - 86_400) * 1000
    assert np.diff(stamps).tolist() == [1000, 59_000, (15_811_131 - 86_460) * 1000]


def test_no_timestamp_is_in_the_future() -> None:
    dts = np.random.default_rng(1).integers(86_400, 16_000_000, 1000)
    assert clock_for(dts, NOW).timestamps_ms(dts).max() <= NOW


def test_replay_start_is_now_minus_span() -> None:
    assert EventClock(100, 160, NOW).replay_start_ms == NOW - 60_000


def test_pacing_divides_gaps_by_speedup() -> None:
    clock = EventClock(100, 400, NOW)
    assert clock.due_seconds(np.array([100, 130, 400]), 10.0).tolist() == [0.0, 3.0, 30.0]


def test_identities_take_their_transaction_dt() -> None:
    index = DtIndex.build(np.array([30, 10, 20]), np.array([300, 100, 200]))
    dts, found = index.lookup(np.array([20, 99, 10, 5]))
    assert found.tolist() == [True, False, True, False]
    assert dts[found].tolist() == [200, 100]


def test_empty_file_has_a_clock() -> None:
    clock = clock_for(np.array([], dtype=np.int64), NOW)
    assert clock.replay_start_ms == NOW
