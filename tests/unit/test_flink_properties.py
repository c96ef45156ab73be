"""FLINK_PROPERTIES: Flink keys the user adds to the session cluster, as the official image takes
them, written over the stack's own configuration."""

from __future__ import annotations

import pytest
import yaml

from emulator import config
from emulator.flink.cluster import flink_properties, write_config
from emulator.process import ServiceError


def test_key_value_lines_become_typed_flink_keys() -> None:
    text = """
    # comments and blank lines are skipped
    taskmanager.numberOfTaskSlots: 24
    pipeline.object-reuse: true
    execution.buffer-timeout: 50 ms
    """
    assert flink_properties(text) == {
        "taskmanager.numberOfTaskSlots": 24,
        "pipeline.object-reuse": True,
        "execution.buffer-timeout": "50 ms",
    }


def test_a_line_without_a_colon_is_refused_with_its_number() -> None:
    with pytest.raises(ServiceError, match=r"line 2: 'taskmanager.numberOfTaskSlots=24'"):
        flink_properties("parallelism.default: 1\ntaskmanager.numberOfTaskSlots=24")


def test_the_written_configuration_takes_them_over_the_stacks_own(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    monkeypatch.setenv("FLINK_PROPERTIES", "taskmanager.numberOfTaskSlots: 24")
    written = yaml.safe_load((write_config(config.settings_from_env()) / "config.yaml").read_text())
    assert written["taskmanager"]["numberOfTaskSlots"] == 24
    assert written["rest"]["port"] == config.settings_from_env().ports.flink_rest
