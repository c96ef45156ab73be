"""The model server's process count comes from WORKER_COUNT, as Azure ML's server reads it."""

from __future__ import annotations

import pytest

from emulator.model_endpoint import DEFAULT_WORKER_COUNT, worker_count
from emulator.process import ServiceError


def test_worker_count_defaults_to_two_and_follows_worker_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WORKER_COUNT", raising=False)
    assert worker_count() == DEFAULT_WORKER_COUNT == 2
    monkeypatch.setenv("WORKER_COUNT", "4")
    assert worker_count() == 4


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_worker_count_that_is_not_a_count_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WORKER_COUNT", value)
    with pytest.raises(ServiceError, match=f"WORKER_COUNT={value!r}"):
        worker_count()
