"""Reading what statements wrote to a table, until the rows a test waits for came.

Committed records only (`emulator.topic_reader`), as Flink and Confluent's readers see the
topics exactly-once statements write; each row is the record's value with its key's fields.
A wait that runs out fails the test with what did come, so the failure says where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from emulator.results.values import Row, clean, merge_key
from emulator.topic_reader import Record

POLL_MS = 500
SHOWN_ROWS = 3


class ReadTimeout(AssertionError):
    """Fewer rows than awaited came in time: a test failure, with the rows that came."""


class Reader(Protocol):
    def poll(self, timeout_ms: int = 1000) -> list[Record]: ...

    def close(self) -> None: ...


Where = Callable[[Row], bool]


def read_rows(
    reader: Reader, table: str, count: int | None, where: Where | None, timeout: float
) -> list[Row]:
    """The rows read (those `where` holds for) once there are `count` of them (None: one);
    ReadTimeout after `timeout` seconds. Closes `reader`."""
    wanted = 1 if count is None else count
    seen: list[Row] = []
    matched: list[Row] = []
    deadline = time.monotonic() + timeout
    try:
        while len(matched) < wanted:
            if time.monotonic() > deadline:
                raise ReadTimeout(_timeout_message(table, wanted, where, timeout, seen, matched))
            for record in reader.poll(timeout_ms=POLL_MS):
                row = merge_key(clean(record.value), record.key, None)
                seen.append(row)
                if where is None or where(row):
                    matched.append(row)
    finally:
        reader.close()
    return matched


def _timeout_message(
    table: str, wanted: int, where: Where | None, timeout: float, seen: list[Row], matched: list
) -> str:
    what = "rows" if where is None else "rows where the condition holds"
    last = "".join(f"\n  {row}" for row in seen[-SHOWN_ROWS:]) or " none"
    also = "" if where is None else f" ({len(seen)} rows read in all)"
    return (
        f"table `{table}`: {len(matched)} {what} after {timeout:g} s, not {wanted}{also}; "
        f"the last rows read:{last}"
    )
