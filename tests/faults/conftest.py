"""The fault drills' own stack (the drills break it), and RELIABILITY.md written from their
counts when asked: CCFLINK_RELIABILITY_REPORT=RELIABILITY.md pytest tests/faults
(`make reliability`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator import stack
from emulator.config import Settings
from emulator.demo.model import ensure_model
from tests.faults.drills import DrillResult
from tests.faults.reliability_report import report_target, write_report
from tests.integration.conftest import new_settings

RESULTS: list[DrillResult] = []


@pytest.fixture(scope="session")
def fault_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    settings = new_settings(tmp_path_factory, "fault-stack")
    try:
        stack.up(settings, say=lambda message: None, prepare_model=ensure_model)
        yield settings
    finally:
        stack.down(settings)


@pytest.fixture(scope="session")
def drill_results() -> Iterator[list[DrillResult]]:
    yield RESULTS
    target = report_target()
    if target is not None and RESULTS:
        write_report(target, RESULTS)
