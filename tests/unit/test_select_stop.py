"""A SELECT's reading stops when its `SelectLimits.stop` event is set (the workspace's Stop),
its job cancelled, with the rows read so far."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from emulator.sql.query import SelectLimits, run_query


class EndlessRows:
    """collect()'s iterator over an unbounded query: one row, then none until it is closed."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self._sent = False

    def __iter__(self) -> EndlessRows:
        return self

    def __next__(self) -> Any:
        if not self._sent:
            self._sent = True
            return Row(("a", 1))
        self.closed.wait(30)
        raise StopIteration

    def close(self) -> None:
        self.closed.set()


class Row(tuple):
    def get_row_kind(self) -> str:
        return "+I"


class FakeFlink:
    def __init__(self) -> None:
        self.rows = EndlessRows()

    def result_types(self, query: str) -> list[tuple[str, str]]:
        return [("k", "STRING"), ("n", "INT")]

    def start_query(self, name: str, query: str, parallelism: int) -> Any:
        schema = SimpleNamespace(get_column_names=lambda: ["k", "n"])
        return SimpleNamespace(
            get_job_client=lambda: None,
            get_resolved_schema=lambda: schema,
            collect=lambda: self.rows,
        )


def stop_once_a_row_shows() -> SelectLimits:
    """No limit but Stop, pressed once the first row is shown (the workspace's Stop button)."""
    stop = threading.Event()
    return SelectLimits(
        max_rows=None,
        idle_timeout=None,
        startup_timeout=None,
        timeout=None,
        on_row=lambda table, kind, values: stop.set(),
        stop=stop,
    )


def test_setting_the_stop_event_ends_reading_with_the_rows_read() -> None:
    flink = FakeFlink()
    result = run_query(flink, "SELECT k, n FROM t", "s1", stop_once_a_row_shows(), 1)  # type: ignore[arg-type]
    assert result.rows == [("a", 1)]
    assert result.query is not None and result.query.stopped == "stopped"
    assert result.query.reason == "stopped on request"
    assert flink.rows.closed.is_set()  # closing collect()'s iterator cancels the job


class CancellableRows(EndlessRows):
    """A query's rows whose job can be cancelled over REST: reading then ends by itself."""

    def __init__(self) -> None:
        super().__init__()
        self.cancelled = threading.Event()
        self.closed_on: str | None = None

    def __next__(self) -> Any:
        if not self._sent:
            self._sent = True
            return Row(("a", 1))
        self.cancelled.wait(30)
        raise RuntimeError("Job was cancelled")  # what hasNext() raises for a cancelled job

    def close(self) -> None:
        self.closed_on = threading.current_thread().name
        super().close()


class FlinkWithJob(FakeFlink):
    def __init__(self) -> None:
        self.rows = CancellableRows()
        self.cancelled_jobs: list[str] = []

    def start_query(self, name: str, query: str, parallelism: int) -> Any:
        result = super().start_query(name, query, parallelism)
        job_client = SimpleNamespace(get_job_id=lambda: "job-1")
        return SimpleNamespace(**{**vars(result), "get_job_client": lambda: job_client})

    def cancel_job(self, job_id: str) -> None:
        self.cancelled_jobs.append(job_id)
        self.rows.cancelled.set()


def test_a_stopped_select_is_cancelled_over_rest_and_only_the_reader_touches_its_iterator() -> None:
    """A py4j call from this thread while the reader holds the planning connection would open
    one on a fresh Java thread, where Flink's next planning fails (metadataHandlerProvider)."""
    flink = FlinkWithJob()
    result = run_query(flink, "SELECT k, n FROM t", "s2", stop_once_a_row_shows(), 1)  # type: ignore[arg-type]
    assert result.rows == [("a", 1)]
    assert result.query is not None and result.query.stopped == "stopped"
    assert flink.cancelled_jobs == ["job-1"]
    assert flink.rows.closed_on == "select-s2"  # the reader thread, not this one
