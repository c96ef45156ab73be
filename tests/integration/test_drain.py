"""A bounded replay finished by draining the join, on the real stack: every transaction is
scored, once.

The pipeline's own SQL files run with their tables renamed (so this module shares the stack
with test_pipeline.py), then a small event-time replay in which most transactions have no
identity row. The LEFT interval join keeps the latest of those until the watermark passes
their window, which no record of a finished replay moves; draining the join (what
`ccflink up --demo --until-complete` does) emits them, and the downstream statements, left
running, score them.
"""

from __future__ import annotations

import csv
import time
from dataclasses import replace

import pytest

from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.demo.complete import finish_replay
from emulator.demo.names import JOIN_TABLE, PREDICTIONS_TOPIC
from emulator.demo.pipeline import ensure_local_connection, prefixed_sql, sql_files
from emulator.flink.rest import FlinkRest
from emulator.sql import statements
from emulator.sql.session import Session
from emulator.topic_reader import AvroTopicReader, Record
from producers.produce import IDENTITIES, TRANSACTIONS, produce_dataset
from producers.synthetic import generate
from tests.integration.conftest import read_until

pytestmark = pytest.mark.integration

ROWS = 300
PREFIX = "drained_"
JOINED, PREDICTIONS = PREFIX + JOIN_TABLE, PREFIX + PREDICTIONS_TOPIC
QUIET_SECONDS = 20  # no new prediction for this long: the rest wait for the watermark


def _until_quiet(settings: Settings, topic: str, timeout: float = 240.0) -> list[Record]:
    """The topic's records once none came for QUIET_SECONDS (after the first one)."""
    reader = AvroTopicReader(settings.bootstrap_servers, settings.schema_registry_url, topic)
    records: list[Record] = []
    last, deadline = time.monotonic(), time.monotonic() + timeout
    try:
        while not records or time.monotonic() - last < QUIET_SECONDS:
            assert time.monotonic() < deadline, f"{topic}: {len(records)} records, still coming"
            batch = reader.poll(timeout_ms=1000)
            if batch:
                records.extend(batch)
                last = time.monotonic()
    finally:
        reader.close()
    return records


@pytest.fixture(scope="module")
def replay(local_stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> list[int]:
    """The renamed pipeline running and the replay sent; the transactions' ids."""
    data_dir = tmp_path_factory.mktemp("drain-replay")
    generate(ROWS, data_dir, seed=11)
    ensure_local_connection(local_stack)
    session = Session(local_stack, lambda message: None)
    for path in sql_files():
        list(session.run_script(prefixed_sql(path.read_text(), PREFIX), str(path)))
    [transactions, _] = produce_dataset(
        local_stack.bootstrap_servers,
        local_stack.schema_registry_url,
        data_dir,
        local_stack.state_dir / "dead-letters",
        sources=tuple(replace(s, topic=PREFIX + s.topic) for s in (TRANSACTIONS, IDENTITIES)),
        show_progress=False,
        timestamps="event",
    )
    assert transactions.sent == ROWS
    with (data_dir / "train_transaction.csv").open() as rows:
        return [int(row["TransactionID"]) for row in csv.DictReader(rows)]


def test_draining_the_join_scores_every_transaction_once(
    replay: list[int], local_stack: Settings
) -> None:
    before = _until_quiet(local_stack, PREDICTIONS)
    assert 0 < len(before) < ROWS  # the latest transactions without identity wait

    [drained] = finish_replay(local_stack, lambda message: None, tables=(JOINED,))

    predictions = read_until(local_stack, PREDICTIONS, lambda records: len(records) >= ROWS)
    ids = [record.value["TransactionID"] for record in predictions]
    assert sorted(ids) == sorted(replay)  # every transaction, none twice
    catalog = Catalog.for_state(local_stack.state_dir)
    assert catalog.statements[drained.name].status == "COMPLETED"
    assert drained.detail is not None and "savepoint-" in drained.detail
    assert any(local_stack.savepoints_dir.glob("savepoint-*"))
    [scoring] = statements.writing_to(catalog, PREDICTIONS)
    rest = FlinkRest(local_stack.flink_rest_url)
    assert rest.job_state(scoring.job_id or "") == "RUNNING"  # not drained: it was still reading
