"""Streaming SELECT on the real stack: rows come back, updating queries apply their changelog,
the job is cancelled once reading stops, and a script with a SELECT does not hang."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from datetime import time as dt_time
from decimal import Decimal

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.catalog import Catalog
from emulator.cli.output import result_text
from emulator.config import Settings
from emulator.flink.rest import FlinkRest
from emulator.sql.errors import StatementError
from emulator.sql.session import Session

pytestmark = pytest.mark.integration

CLICKS = [("a", 1), ("b", 2), ("a", 3)]


@pytest.fixture(scope="module")
def session(local_stack: Settings) -> Session:
    return Session(local_stack, say=lambda message: None)


@pytest.fixture(scope="module")
def clicks(local_stack: Settings, session: Session) -> None:
    session.execute_script("CREATE TABLE select_clicks (k STRING, n INT);")
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    # The value schema CREATE TABLE registered (select_clicks_value, nullable fields).
    schema = registry.get_latest_version("select_clicks-value").schema.schema_str
    values = AvroSerializer(registry, schema)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    context = SerializationContext("select_clicks", MessageField.VALUE)
    for k, n in CLICKS:
        producer.produce("select_clicks", value=values({"k": k, "n": n}, context))
    assert producer.flush(30) == 0


def wait_for_state(rest: FlinkRest, job_id: str, states: set[str], timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    state = rest.job_state(job_id)
    while state not in states and time.monotonic() < deadline:
        time.sleep(0.5)
        state = rest.job_state(job_id)
    return str(state)


def test_select_returns_the_rows_and_cancels_its_job(
    local_stack: Settings, session: Session, clicks: None
) -> None:
    seen: list[tuple[str, tuple]] = []
    result = session.select(
        "SELECT k, n FROM select_clicks;",
        max_rows=3,
        on_row=lambda table, kind, values: seen.append((kind, values)),
    )
    assert result.columns == ["k", "n"]
    assert sorted(result.rows) == sorted(CLICKS)
    assert result.query.stopped == "limit" and not result.query.updating
    assert [kind for kind, _ in seen] == ["+I"] * 3
    assert result.job_id is not None
    rest = FlinkRest(local_stack.flink_rest_url)
    assert wait_for_state(rest, result.job_id, {"CANCELED"}) == "CANCELED"


def test_queries_plan_after_selects_stopped_while_reading(session: Session, clicks: None) -> None:
    """Reading stopped while collect()'s hasNext() waits (as the workspace's Stop, from a worker
    thread): each next query still plans. A py4j call made beside the waiting reader used to
    move planning onto a fresh Java thread, where Flink failed with `NullPointerException:
    metadataHandlerProvider`."""
    outcomes: list[object] = []

    def rounds() -> None:
        try:
            for _ in range(4):
                # One row, then the reader waits in hasNext() for rows that never come.
                stopped = session.select("SELECT k, n FROM select_clicks;", max_rows=1)
                assert stopped.query.stopped == "limit"
                counted = session.select(
                    "SELECT COUNT(*) AS c FROM (VALUES (1), (2)) AS t(x);", max_rows=None
                )
                outcomes.append(counted.rows)
        except Exception as error:  # the assertion below shows it
            outcomes.append(error)

    worker = threading.Thread(target=rounds, name="workspace-like-worker")
    worker.start()
    worker.join(timeout=300)
    assert outcomes == [[(2,)]] * 4


def test_aggregate_applies_the_changelog_to_final_counts(session: Session, clicks: None) -> None:
    result = session.select(
        "SELECT k, COUNT(*) AS clicks, SUM(n) AS total FROM select_clicks GROUP BY k",
        idle_timeout=5,
    )
    assert sorted(result.rows) == [("a", 2, 4), ("b", 1, 2)]
    assert result.query.updating and result.query.changes == 4  # +I a, +I b, -U a, +U a
    assert result.query.stopped == "idle"


def test_bounded_query_finishes_by_itself(session: Session) -> None:
    result = session.select("VALUES (1, 'x'), (2, 'y')")
    assert result.rows == [(1, "x"), (2, "y")]
    assert result.query.stopped == "finished"


def test_select_refusals_and_errors_are_statement_errors(session: Session) -> None:
    with pytest.raises(StatementError, match="PROCTIME"):
        session.select("SELECT PROCTIME() FROM select_clicks")
    with pytest.raises(StatementError, match=r"Flink: .*no_such_table"):
        session.select("SELECT * FROM no_such_table")


def test_script_with_a_select_finishes(
    local_stack: Settings, session: Session, clicks: None
) -> None:
    [result] = session.execute_script("SELECT k, n FROM select_clicks;")
    # Three rows, fewer than the script limit of 20: reading stops 10 s after the last one.
    assert sorted(result.rows) == sorted(CLICKS)
    assert "SELECT: 3 rows; stopped after 10 s without new rows, job " in result.message
    assert result.message.endswith(" cancelled")
    # Its job was cancelled once read: the statement completed, nothing keeps running.
    assert result.job_id is None
    catalog = Catalog.for_state(local_stack.state_dir)
    assert catalog.statements[result.name].status == "COMPLETED"
    table = result_text(result).splitlines()
    assert table[1].split() == ["k", "n"] and len(table) == 3 + len(CLICKS)


def test_every_result_type_reaches_python_whole(session: Session) -> None:
    ltz = "CAST(TIMESTAMP '2024-01-02 03:04:05.678' AS TIMESTAMP_LTZ(3))"
    result = session.select(
        f"""SELECT {ltz} AS ltz,
            CAST('2024-01-02 03:04:05.123456789' AS TIMESTAMP(9)) AS ts9,
            DATE '2024-01-02' AS d, TIME '03:04:05' AS t,
            CAST(12.345 AS DECIMAL(10, 3)) AS amount, CAST(X'0102' AS BYTES) AS b,
            ARRAY[{ltz}] AS arr, MAP['k', {ltz}] AS m, ROW(1, {ltz}) AS r,
            CAST(NULL AS TIMESTAMP_LTZ(3)) AS nothing"""
    )
    [row] = result.rows
    stamp = datetime(2024, 1, 2, 3, 4, 5, 678000)  # the session's time zone: UTC
    assert row[:6] == (
        stamp,
        "2024-01-02 03:04:05.123456789",  # nanoseconds kept, as text
        date(2024, 1, 2),
        dt_time(3, 4, 5),
        Decimal("12.345"),
        bytearray(b"\x01\x02"),
    )
    assert row[6] == [stamp] and row[7] == {"k": stamp} and tuple(row[8]) == (1, stamp)
    assert row[9] is None


def test_rowtime_comes_back_in_the_sessions_time_zone(local_stack: Settings, clicks: None) -> None:
    zoned = Session(local_stack, say=lambda message: None)
    zoned.execute_script("SET 'sql.local-time-zone' = 'Asia/Kolkata';")
    [epoch] = zoned.select("SELECT TO_TIMESTAMP_LTZ(0, 3) AS epoch").rows
    assert epoch == (datetime(1970, 1, 1, 5, 30),)
    result = zoned.select("SELECT k, $rowtime FROM select_clicks LIMIT 3", idle_timeout=30)
    assert sorted(k for k, _ in result.rows) == sorted(k for k, _ in CLICKS)
    assert all(isinstance(rowtime, datetime) for _, rowtime in result.rows)
