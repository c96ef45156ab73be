"""Ctrl-C during a replay: the summaries come back only once every producer has flushed.

Python 3.11's `Thread.join(timeout)`, interrupted by KeyboardInterrupt while it waits, marks a
thread that is still running as stopped (the bpo-45274 handling), so a later `join()` returns at
once: the summaries were printed while the producers were still flushing, and the process
could exit before records it had counted as sent were delivered. The replay now waits on its
own events. The integration test (tests/integration/test_producers.py) sends a real SIGINT to
`ccflink produce`; here `_thread.interrupt_main()` stands in for it, deterministically.
"""

from __future__ import annotations

import _thread
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import producers.produce as produce
from emulator.config import PROJECT_ROOT
from producers.produce import produce_dataset
from producers.synthetic import generate
from tests.fakes import FakeAdmin, FakeRegistry

FLUSH_SECONDS = 0.6


class SlowFlushProducer:
    """Interrupts the main thread at its 20th record; its flush takes a while."""

    instances: ClassVar[list[SlowFlushProducer]] = []
    interrupted = threading.Event()

    def __init__(self, config: dict) -> None:
        self.produced = 0
        self.flushed_at: float | None = None
        SlowFlushProducer.instances.append(self)

    def produce(self, topic: str, value: bytes, key: bytes, timestamp: int = 0) -> None:
        self.produced += 1
        if self.produced == 20 and not SlowFlushProducer.interrupted.is_set():
            SlowFlushProducer.interrupted.set()
            _thread.interrupt_main()  # what SIGINT does: KeyboardInterrupt in the main thread
        time.sleep(0.001)

    def poll(self, timeout: float = 0) -> int:
        time.sleep(min(timeout, 0.01))
        return 0

    def flush(self, timeout: float = 0) -> int:
        time.sleep(FLUSH_SECONDS)
        self.flushed_at = time.monotonic()
        return 0


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    SlowFlushProducer.instances = []
    SlowFlushProducer.interrupted = threading.Event()
    monkeypatch.setattr(FakeAdmin, "configs", [])
    monkeypatch.setattr(produce, "AdminClient", FakeAdmin)
    monkeypatch.setattr(produce, "Producer", SlowFlushProducer)
    FakeRegistry().install(monkeypatch)
    # Python's own Ctrl-C handler, even when the suite was started with SIGINT ignored (a
    # background job of a non-interactive shell): interrupt_main() does nothing otherwise.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_interrupted_replay_returns_after_every_producer_flushed(
    fakes: None, tmp_path: Path
) -> None:
    generate(3_000, tmp_path / "data", seed=1)
    summaries = produce_dataset(
        "localhost:9092",
        "http://registry.invalid",
        tmp_path / "data",
        tmp_path / "dead",
        show_progress=False,
    )
    returned = time.monotonic()
    assert SlowFlushProducer.interrupted.is_set()
    assert len(SlowFlushProducer.instances) == 2
    for producer in SlowFlushProducer.instances:
        assert producer.flushed_at is not None, "summaries returned before a flush ended"
        assert producer.flushed_at <= returned
    assert any(s.interrupted for s in summaries)
    by_topic = {s.topic: s for s in summaries}
    assert sum(p.produced for p in SlowFlushProducer.instances) == sum(
        s.sent for s in by_topic.values()
    )
    assert by_topic["transactions"].sent < 3_000


def test_csv_source_imports_pandas_itself() -> None:
    """pyarrow imports pandas on the first `to_numpy` and drops any exception raised meanwhile:
    a Ctrl-C then was lost and the whole file replayed. csv_source imports it first, where a
    KeyboardInterrupt propagates."""
    check = "import sys, producers.csv_source; assert 'pandas' in sys.modules"
    subprocess.run([sys.executable, "-c", check], cwd=PROJECT_ROOT, check=True)
