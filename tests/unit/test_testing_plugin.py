"""The pytest plugin's helpers fail the way a test author needs: which row and field does not
fit its table (before anything is sent), how many rows came before a read ran out of time,
which statement of which file failed; and pytest finds the fixture, its option and the log
tails of a failed test.

Rows are fitted against schemas in confluent-kafka's mock registry, declared as Flink
registers a table's (a key record, nullable fields as ["null", T]); sending is replaced.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from common.registry import register
from emulator import stack
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.process import ManagedProcess
from emulator.sql import statements
from emulator.sql.context import Context
from emulator.sql.errors import StatementError
from emulator.sql.session import Session
from emulator.testing import endpoints, harness, plugin, produce
from emulator.testing.harness import Ccflink, StatusTimeout
from emulator.testing.reading import ReadTimeout, read_rows
from emulator.testing.records import Encoded
from emulator.testing.rows import RowError
from emulator.topic_reader import Record
from producers.declared import DeclaredSchemaError

pytest_plugins = ["pytester"]

TABLE = "orders"
KEY_SCHEMA = {
    "type": "record",
    "name": "orders_key",
    "fields": [{"name": "order_id", "type": "int"}],
}
VALUE_SCHEMA = {
    "type": "record",
    "name": "orders_value",
    "fields": [
        {"name": "amount", "type": ["null", "double"], "default": None},
        {"name": "customer", "type": "string"},
        {"name": "items", "type": ["null", "long"], "default": None},
        {
            "name": "Timestamp",
            "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}],
            "default": None,
        },
    ],
}
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> SchemaRegistryClient:
    """The table declared in a mock registry, which the produce helper is given."""
    client = SchemaRegistryClient.new_client({"url": "mock://testing-plugin"})
    register(client, f"{TABLE}-key", KEY_SCHEMA)
    register(client, f"{TABLE}-value", VALUE_SCHEMA)
    monkeypatch.setattr(produce, "registry_client", lambda url, auth=None: client)
    return client


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[Encoded], int]]:
    calls: list[tuple[str, list[Encoded], int]] = []
    monkeypatch.setattr(
        produce, "send", lambda settings, topic, records, ts: calls.append((topic, records, ts))
    )
    return calls


def _produce(tmp_path: Path, rows: Any) -> int:
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    return produce.write_rows(settings, TABLE, rows, at=AT, timestamp_field="Timestamp")


def _decoded(registry: SchemaRegistryClient, data: bytes | None, side: MessageField) -> Any:
    return AvroDeserializer(registry)(data, SerializationContext(TABLE, side))


def test_rows_are_written_as_the_table_declares_them(
    tmp_path: Path, registry: SchemaRegistryClient, sent: list
) -> None:
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("order_id,customer,amount,ignored\n7,ann,12.5,x\n8,bob,,y\n")
    assert _produce(tmp_path, csv_file) == 2
    [(topic, records, timestamp_ms)] = sent
    assert topic == TABLE and timestamp_ms == int(AT.timestamp() * 1000)
    keys = [_decoded(registry, r.key, MessageField.KEY) for r in records]
    values = [_decoded(registry, r.value, MessageField.VALUE) for r in records]
    assert keys == [{"order_id": 7}, {"order_id": 8}]
    assert [(v["customer"], v["amount"], v["items"]) for v in values] == [
        ("ann", 12.5, None),
        ("bob", None, None),
    ]
    assert {v["Timestamp"] for v in values} == {AT}  # the record's time fills it


def test_a_row_that_does_not_fit_is_named_with_its_field_and_nothing_is_sent(
    tmp_path: Path, registry: SchemaRegistryClient, sent: list
) -> None:
    rows = [
        {"order_id": 1, "customer": "ann", "amount": 3},
        {"order_id": "two", "customer": "bob"},
        {"order_id": 3, "customer": "cy", "amount": "much"},
        {"order_id": 4, "customer": 44},
        {"order_id": 2**33, "customer": "dee"},
    ]
    with pytest.raises(RowError) as refused:
        _produce(tmp_path, rows)
    message = str(refused.value)
    assert "table `orders`: 4 of 5 rows cannot be written" in message
    assert "nothing was sent" in message
    assert "rows[1]: field `order_id` (int, not null): 'two' is not a number" in message
    assert "rows[2]: field `amount` (double): 'much' is not a number" in message
    assert "rows[3]: field `customer` (string, not null): 44 is a int, not text" in message
    assert "rows[4]: field `order_id` (int, not null): 8589934592 does not fit an INT" in message
    assert sent == []


def test_an_integer_past_its_fields_avro_type_is_named_from_text_or_number(
    tmp_path: Path, registry: SchemaRegistryClient, sent: list
) -> None:
    rows = [
        {"order_id": 1, "customer": "ann", "items": 2**63},
        {"order_id": 2, "customer": "bob", "items": str(2**63)},
        {"order_id": 3, "customer": "cy", "items": 2**63 - 1},
    ]
    with pytest.raises(RowError) as refused:
        _produce(tmp_path, rows)
    message = str(refused.value)
    assert "2 of 3 rows cannot be written" in message
    assert f"rows[0]: field `items` (long): {2**63} does not fit a BIGINT (64 bits)" in message
    assert f"rows[1]: field `items` (long): {2**63} is out of the column's" in message
    assert sent == []


def test_a_csv_row_is_named_by_its_line_and_a_dataframe_row_by_its_label(
    tmp_path: Path, registry: SchemaRegistryClient, sent: list
) -> None:
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("order_id,customer\n1,ann\n2.5,bob\n")
    with pytest.raises(RowError, match=rf"line 3 of {csv_file}: field `order_id` .*not an integer"):
        _produce(tmp_path, csv_file)
    frame = pd.DataFrame({"order_id": [1, 2], "customer": ["ann", None]}, index=["a", "b"])
    with pytest.raises(RowError, match=r"row 'b': field `customer` \(string, not null\): null"):
        _produce(tmp_path, frame)
    assert sent == []


def test_a_column_the_table_needs_and_the_rows_lack_is_named(
    tmp_path: Path, registry: SchemaRegistryClient, sent: list
) -> None:
    with pytest.raises(DeclaredSchemaError, match=r"`customer` .* has no column in the rows"):
        _produce(tmp_path, [{"order_id": 1}])
    assert sent == []


def test_a_table_nothing_declared_is_refused(
    tmp_path: Path, registry: SchemaRegistryClient, sent: list
) -> None:
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    with pytest.raises(RowError, match="table `refunds` is not declared"):
        produce.write_rows(settings, "refunds", [{"id": 1}], at=None, timestamp_field=None)


class FakeReader:
    """Two records, then nothing, as a topic where a statement stopped writing."""

    def __init__(self) -> None:
        self.batches = [
            [Record({"id": 1}, {"score": 0.1}, 0, 0, 0), Record({"id": 2}, {"score": 0.9}, 0, 0, 1)]
        ]
        self.closed = False

    def poll(self, timeout_ms: int = 1000) -> list[Record]:
        return self.batches.pop(0) if self.batches else []

    def close(self) -> None:
        self.closed = True


def test_a_read_returns_the_rows_with_their_key_fields_once_enough_came() -> None:
    reader = FakeReader()
    rows = read_rows(reader, "scores", 1, lambda row: row["score"] > 0.5, timeout=5)
    assert rows == [{"score": 0.9, "id": 2}]
    assert reader.closed


def test_a_read_that_runs_out_of_time_says_how_many_came_and_the_last_ones() -> None:
    reader = FakeReader()
    with pytest.raises(ReadTimeout) as failed:
        read_rows(reader, "scores", 5, None, timeout=0.3)
    message = str(failed.value)
    assert message.startswith("table `scores`: 2 rows after 0.3 s, not 5; the last rows read:")
    assert "{'score': 0.9, 'id': 2}" in message
    assert reader.closed
    with pytest.raises(ReadTimeout, match=r"0 rows where the condition holds .*\(2 rows read"):
        read_rows(FakeReader(), "scores", None, lambda row: row["id"] == 3, timeout=0.3)


def _offline(tmp_path: Path) -> Ccflink:
    """A harness whose session does what needs no stack: parsing, refusals, the catalog."""
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    session = Session.__new__(Session)
    session.context = Context(settings, Catalog.for_state(tmp_path), None, lambda message: None)
    offline = Ccflink(settings)
    offline._session = session
    return offline


def test_a_failing_statement_is_named_by_its_file_line_and_position(tmp_path: Path) -> None:
    offline = _offline(tmp_path)
    script = tmp_path / "tables.sql"
    script.write_text("SHOW TABLES;\n\nCREATE TABLE t (a INT) WITH ('connector' = 'kafka');\n")
    with pytest.raises(StatementError) as failed:
        offline.sql_file(script)
    assert str(failed.value).startswith(f"{script}:3:1: statement 2: CREATE TABLE t (a INT)")
    assert "no connector option" in str(failed.value)


def test_connection_takes_an_endpoint_or_a_script_to_serve(tmp_path: Path) -> None:
    offline = Ccflink(Settings(state_dir=tmp_path, jars_dir=tmp_path))
    with pytest.raises(TypeError, match="url= and api_key="):
        offline.connection("scoring", url="http://127.0.0.1:1/score", score="score.py")
    with pytest.raises(TypeError, match="score= and model_dir="):
        offline.connection("scoring", score="score.py")


def test_pytest_finds_the_fixture_and_its_option(pytester: pytest.Pytester) -> None:
    help_text = pytester.runpytest("--help").stdout.str()
    assert "--ccflink-keep=DIR" in help_text
    fixtures = pytester.runpytest("--fixtures").stdout.str()
    assert "ccflink [session scope]" in fixtures


def test_a_failed_test_that_used_the_stack_reports_the_log_tails(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        f"""
        import pytest
        from emulator.testing import plugin

        class Stack:
            def log_sections(self):
                return [("ccflink kafka log (last lines)", "    broker: disk full")]

        @pytest.fixture(scope="session")
        def {plugin.FIXTURE}(request):
            request.config.stash[plugin.RUNNING] = Stack()
            yield request.config.stash[plugin.RUNNING]
        """
    )
    pytester.makepyfile(
        """
        def test_uses_it(ccflink):
            assert False

        def test_does_not():
            assert False
        """
    )
    output = pytester.runpytest().stdout.str()
    assert output.count("ccflink kafka log (last lines)") == 1
    assert "broker: disk full" in output


def test_down_stops_the_endpoints_tests_served_with_the_stack(tmp_path: Path) -> None:
    """A kept stack's `ccflink down` leaves no model server behind."""
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    served = ManagedProcess(endpoints.process_name("fraud detection"), settings)
    served.start([sys.executable, "-c", "import time; time.sleep(60)"])
    assert endpoints.running(settings) == ["endpoint-fraud_detection"]
    assert stack.down(settings) == ["endpoint-fraud_detection"]
    assert not served.is_running() and endpoints.running(settings) == []


class FakeRest:
    """A JobManager whose job goes through `states`, one per look, then stays in the last."""

    def __init__(self, states: list[str]) -> None:
        self.states = states

    def __call__(self, url: str) -> FakeRest:
        return self

    def job_state(self, job_id: str) -> str:
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def exceptions(self, job_id: str) -> list:
        return []

    def failure(self, job_id: str) -> str:
        return "ML_PREDICT: the endpoint answered 401"


def test_wait_for_status_returns_once_the_job_runs_and_fails_when_it_ended_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offline = _offline(tmp_path)
    monkeypatch.setattr(harness, "STATUS_POLL_S", 0.01)
    catalog = offline.session.context.catalog
    statements.record(catalog, "scoring", "CREATE TABLE p AS ...", "PENDING", job_id="j1")
    monkeypatch.setattr(harness, "FlinkRest", FakeRest(["CREATED", "RUNNING"]))
    assert offline.wait_for_status("scoring", "RUNNING", timeout=5).status == "RUNNING"
    monkeypatch.setattr(harness, "FlinkRest", FakeRest(["FAILED"]))
    with pytest.raises(StatusTimeout, match="is FAILED, not COMPLETED, and will not become it"):
        offline.wait_for_status("scoring", "COMPLETED", timeout=5)
    statements.record(catalog, "slow", "INSERT INTO p ...", "PENDING", job_id="j2")
    monkeypatch.setattr(harness, "FlinkRest", FakeRest(["CREATED"]))
    with pytest.raises(StatusTimeout, match=r"'slow' is PENDING, not RUNNING, after 0\.1 s"):
        offline.wait_for_status("slow", "RUNNING", timeout=0.1)
