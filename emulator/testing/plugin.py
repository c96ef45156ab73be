"""The pytest plugin ccflink ships (its `pytest11` entry point): the `ccflink` fixture, its
options (`--ccflink-keep`, `--ccflink-backend`, `--ccflink-image`), and the services' log
tails in a failed test's report.

The harness, and PyFlink with it, is imported when a test first asks for the fixture, as the
CLI's handlers are imported when their command runs: pytest loads this module in every run of
an environment where ccflink is installed, and most runs never start a stack.
"""

from __future__ import annotations

import importlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from emulator.testing.harness import Ccflink

HARNESS_MODULE = "emulator.testing.harness"
BACKENDS = ("local", "testcontainers")
FIXTURE = "ccflink"
RUNNING = pytest.StashKey["Ccflink"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ccflink", "ccflink: Confluent Cloud's Kafka, Flink SQL, ML_PREDICT")
    group.addoption(
        "--ccflink-keep",
        metavar="DIR",
        type=Path,
        default=None,
        help="keep the ccflink stack in DIR between runs: reused when its services are "
        "healthy (what earlier runs made is cleared first), else started there; left running "
        "after the run. Default: a new stack in a temporary folder, stopped after the run.",
    )
    group.addoption(
        "--ccflink-backend",
        choices=BACKENDS,
        default="local",
        help="where the stack runs: local processes (default), or one container started with "
        "testcontainers (needs a Docker engine; the tests skip, saying why, without one).",
    )
    group.addoption(
        "--ccflink-image",
        metavar="IMAGE",
        default=None,
        help="with --ccflink-backend=testcontainers: the stack's image to run. Default: built "
        "from this ccflink checkout's docker/ccflink/Dockerfile (target stack).",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Refuse option combinations that cannot work, before any test runs."""
    backend = config.getoption("ccflink_backend")
    if backend != "local" and config.getoption("ccflink_keep") is not None:
        raise pytest.UsageError(
            f"--ccflink-keep keeps a local stack between runs; it does not combine with "
            f"--ccflink-backend={backend} (the container is removed after each run)"
        )
    if backend == "local" and config.getoption("ccflink_image") is not None:
        raise pytest.UsageError("--ccflink-image needs --ccflink-backend=testcontainers")


@pytest.fixture(scope="session")
def ccflink(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Ccflink]:
    """Kafka, Schema Registry and Flink for the session's tests, with helpers to run your SQL,
    serve your model, produce rows and read results (emulator/testing/harness.py)."""
    harness = importlib.import_module(HARNESS_MODULE)
    keep: Path | None = request.config.getoption("ccflink_keep")
    backend: str = request.config.getoption("ccflink_backend")
    problem = harness.backend_problem(backend)
    if problem is not None:
        pytest.skip(problem)
    image: str | None = request.config.getoption("ccflink_image")
    with harness.session_stack(
        keep, lambda: tmp_path_factory.mktemp("ccflink"), backend, image
    ) as running:
        request.config.stash[RUNNING] = running
        try:
            yield running
        finally:
            del request.config.stash[RUNNING]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test that used the stack gets each service's log tail in its report."""
    report = yield
    running = item.config.stash.get(RUNNING, None)
    if report.failed and running is not None and FIXTURE in getattr(item, "fixturenames", ()):
        for title, text in running.log_sections():
            report.sections.append((title, text))
    return report
