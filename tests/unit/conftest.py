"""Fixtures several unit-test modules share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.flink import rest as flink_rest
from tests.fake_flink import FakeFlink


@pytest.fixture
def flink(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeFlink]:
    """A fake JobManager's REST API, its savepoints polled without waiting."""
    monkeypatch.setattr(flink_rest, "SAVEPOINT_POLL_SECONDS", 0.0)
    fake = FakeFlink()
    yield fake
    fake.close()
