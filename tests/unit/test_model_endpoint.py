"""The model server's process count comes from WORKER_COUNT, as Azure ML's server reads it; its
key is made when the endpoint starts, never by reading it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from emulator.config import DEFAULT_WORKER_COUNT, ConfigError, Settings, model_server_workers
from emulator.model_endpoint import ensure_api_key


def test_worker_count_defaults_to_two_and_follows_worker_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WORKER_COUNT", raising=False)
    assert model_server_workers() == DEFAULT_WORKER_COUNT == 2
    monkeypatch.setenv("WORKER_COUNT", "4")
    assert model_server_workers() == 4


@pytest.mark.parametrize("value", ["0", "two", "-1", ""])
def test_a_worker_count_that_is_not_a_count_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("WORKER_COUNT", value)
    with pytest.raises(ConfigError, match=f"WORKER_COUNT={value!r}"):
        model_server_workers()


def test_reading_the_key_writes_nothing_and_the_start_makes_it_private(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    with pytest.raises(ConfigError, match="`ccflink up`"):
        settings.model_api_key()
    assert not settings.model_api_key_file.exists()
    key = ensure_api_key(settings)
    assert stat.S_IMODE(settings.model_api_key_file.stat().st_mode) == 0o600
    assert ensure_api_key(settings) == settings.model_api_key() == key  # made once
