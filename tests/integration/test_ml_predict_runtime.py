"""ML_PREDICT at run time on the real stack, against a scripted endpoint.

The endpoint here answers as an Azure ML endpoint under load would (503, then 429 with
Retry-After) before it scores, so the tests see Confluent's retry rule work through Flink's
Python workers, and count the rows in each request to see the batching extension.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from emulator.catalog import Catalog, StatementRecord
from emulator.config import Settings
from emulator.flink.rest import FlinkRest
from emulator.sql.session import Session
from emulator.sql.statements import refresh
from pyflink_jobs.ml_predict import METRIC_GROUP

from .conftest import cancel_running_jobs, read_until

pytestmark = pytest.mark.integration

API_KEY = "scripted-endpoint-key"
ROWS = 240
WIDE_INPUTS = 90  # Confluent Cloud is reported to fail above 85


def expected_answer(a: float, b: float) -> list[float]:
    """What the scripted model answers for one row: [label, score]."""
    return [1 if a > b else 0, a + b]


class ScriptedEndpoint:
    """An HTTP scoring endpoint whose first answers are chosen by the test.

    Every request is recorded as the list of rows it carried (an Azure ML pandas frame).
    """

    def __init__(self) -> None:
        self.failures: list[tuple[int, dict[str, str]]] = []
        self.always: tuple[int, dict[str, str]] | None = None
        self.requests: list[list[list[float]]] = []
        self.statuses: list[int] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/score"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def _answer(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        rows = json.loads(body)["input_data"]["data"]
        with self._lock:
            self.requests.append(rows)
            if self.always is not None:
                status, headers = self.always
            elif self.failures:
                status, headers = self.failures.pop(0)
            else:
                status, headers = 200, {}
            self.statuses.append(status)
        if status != 200:
            return status, headers, b'{"error": "busy"}'
        answers = [expected_answer(row[0], row[1]) for row in rows]
        # One row is answered with its values alone, as the fraud model's scoring script does.
        return 200, {}, json.dumps(answers[0] if len(answers) == 1 else answers).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Authorization") != f"Bearer {API_KEY}":
                    status, headers, answer = 401, {}, b"{}"
                else:
                    status, headers, answer = endpoint._answer(body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(autouse=True)
def stop_jobs_after_each_test() -> Iterator[None]:
    """Each scoring statement here takes up to 4 of the cluster's 12 slots: free them."""
    yield
    cancel_running_jobs()


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ScriptedEndpoint]:
    server = ScriptedEndpoint()
    yield server
    server.close()


@pytest.fixture(scope="module")
def pairs(local_stack: Settings, endpoint: ScriptedEndpoint) -> dict[int, tuple[float, float]]:
    """A table of (a, b) pairs and a model pointing at the scripted endpoint."""
    Session(local_stack, say=lambda message: None).execute_script(
        f"""
        CREATE TABLE pairs (id INT NOT NULL, a DOUBLE, b DOUBLE)
          DISTRIBUTED BY (id) INTO 2 BUCKETS;
        CREATE CONNECTION scripted WITH ('type' = 'azureml',
          'endpoint' = '{endpoint.url}', 'api-key' = '{API_KEY}');
        CREATE MODEL compare_ab INPUT (a DOUBLE, b DOUBLE) OUTPUT (label INT, score DOUBLE)
          WITH ('provider' = 'azureml', 'task' = 'classification',
                'azureml.connection' = 'scripted');
        """
    )
    # `a` is unique, so a request's rows say which table rows it carried.
    values = {i: (float(i), float(i * 7 % ROWS)) for i in range(ROWS)}
    registry = SchemaRegistryClient({"url": local_stack.schema_registry_url})
    key = AvroSerializer(registry, registry.get_latest_version("pairs-key").schema.schema_str)
    value = AvroSerializer(registry, registry.get_latest_version("pairs-value").schema.schema_str)
    producer = Producer({"bootstrap.servers": local_stack.bootstrap_servers})
    for i, (a, b) in values.items():
        producer.produce(
            "pairs",
            key=key({"id": i}, SerializationContext("pairs", MessageField.KEY)),
            value=value({"a": a, "b": b}, SerializationContext("pairs", MessageField.VALUE)),
        )
    assert producer.flush(30) == 0
    return values


def _statement(local_stack: Settings, name: str) -> StatementRecord:
    catalog = Catalog.for_state(local_stack.state_dir)
    return next(
        r for r in refresh(catalog, FlinkRest(local_stack.flink_rest_url)) if r.name == name
    )


def _scores(local_stack: Settings, statement: str, topic: str, rows: int) -> dict[int, dict]:
    """The rows the statement wrote, once all arrived; fails at once if the statement failed."""

    def done(got: list) -> bool:
        if len(got) >= rows:
            return True
        record = _statement(local_stack, statement)
        assert record.status != "FAILED", record.detail
        return False

    records = read_until(local_stack, topic, done)
    scored = {r.value["id"]: r.value for r in records}
    assert len(records) == len(scored) == rows, "every row exactly once"
    return scored


def _assert_scored(scored: dict[int, dict], values: dict[int, tuple[float, float]]) -> None:
    for i, (a, b) in values.items():
        label, score = expected_answer(a, b)
        assert (scored[i]["label"], scored[i]["score"]) == (label, score), i


def _status(local_stack: Settings, name: str, until: str, timeout: float = 180) -> str | None:
    """The statement's detail once its status is `until` (or the test fails)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = _statement(local_stack, name)
        if record.status == until:
            return record.detail
        time.sleep(2)
    pytest.fail(f"statement {name} is {record.status}, not {until}: {record.detail}")


def test_busy_answers_are_retried_and_every_row_is_scored_once(
    local_stack: Settings, endpoint: ScriptedEndpoint, pairs: dict[int, tuple[float, float]]
) -> None:
    endpoint.requests.clear()
    endpoint.statuses.clear()
    endpoint.failures = [(503, {}), (429, {"Retry-After": "1"})]
    session = Session(local_stack, say=lambda message: None)
    session.execute_script(
        "SET 'client.statement-name' = 'score-through-busy-endpoint';"
        "CREATE TABLE pairs_scored AS SELECT id, p.label, p.score FROM pairs, "
        "LATERAL TABLE(ML_PREDICT('compare_ab', a, b)) AS p;"
    )

    _assert_scored(_scores(local_stack, "score-through-busy-endpoint", "pairs_scored", ROWS), pairs)
    # Confluent's row-at-a-time requests; the two refused ones were sent again.
    assert all(len(rows) == 1 for rows in endpoint.requests)
    assert sorted(endpoint.statuses) == [200] * ROWS + [429, 503]
    sent = Counter(rows[0][0] for rows in endpoint.requests)
    refused = Counter(
        rows[0][0]
        for rows, status in zip(endpoint.requests, endpoint.statuses, strict=True)
        if status != 200
    )
    assert set(sent) == {a for a, _ in pairs.values()}
    assert {a: n - 1 for a, n in sent.items() if n > 1} == dict(refused)

    job_id = (
        Catalog.for_state(local_stack.state_dir).statements["score-through-busy-endpoint"].job_id
    )
    rest = FlinkRest(local_stack.flink_rest_url)
    deadline = time.monotonic() + 60  # the JobManager fetches metrics every 10 s
    metrics = rest.metrics(job_id, METRIC_GROUP)
    while metrics.get("compare_ab.requests", 0) < ROWS + 2 and time.monotonic() < deadline:
        time.sleep(2)
        metrics = rest.metrics(job_id, METRIC_GROUP)
    assert metrics["compare_ab.requests"] == ROWS + 2
    assert metrics["compare_ab.retries"] == 2
    assert metrics["compare_ab.failures_503"] == 1
    assert metrics["compare_ab.failures_429"] == 1


def test_a_row_past_its_retries_fails_the_task_and_the_restart_sends_it_again(
    local_stack: Settings, endpoint: ScriptedEndpoint, pairs: dict[int, tuple[float, float]]
) -> None:
    endpoint.requests.clear()
    endpoint.statuses.clear()
    endpoint.always = (503, {"Retry-After": "1"})
    try:
        session = Session(local_stack, say=lambda message: None)
        session.execute_script(
            "SET 'client.statement-name' = 'score-past-retries';"
            "CREATE TABLE pairs_never_scored AS SELECT id, p.label FROM pairs, "
            "LATERAL TABLE(ML_PREDICT('compare_ab', a, b, MAP['retry_count', 1])) AS p;"
        )
        # Restarting from its last checkpoint, as Confluent keeps a statement running.
        detail = _status(local_stack, "score-past-retries", "DEGRADED")
        deadline = time.monotonic() + 120
        while max(_sends(endpoint).values(), default=0) < 3 and time.monotonic() < deadline:
            time.sleep(1)
    finally:
        endpoint.always = None
    assert "Received bad response code 503" in (detail or "")
    assert API_KEY not in (detail or "")
    # retry_count 1: a row is sent once and retried once, the task fails, and the restarted
    # task sends it again (it was not scored, so the checkpoint is before it).
    assert max(_sends(endpoint).values()) >= 3


def _sends(endpoint: ScriptedEndpoint) -> Counter:
    """How often each row (by its first input) was sent."""
    return Counter(rows[0][0] for rows in list(endpoint.requests))


def test_the_batching_extension_sends_many_rows_per_request(
    local_stack: Settings, endpoint: ScriptedEndpoint, pairs: dict[int, tuple[float, float]]
) -> None:
    endpoint.requests.clear()
    endpoint.statuses.clear()
    said: list[str] = []
    session = Session(local_stack, say=said.append)
    session.execute_script(
        "SET 'ccflink.ml-predict.batch-size' = '100';"
        "SET 'client.statement-name' = 'score-in-batches';"
        "CREATE TABLE pairs_scored_in_batches AS SELECT id, p.label, p.score FROM pairs, "
        "LATERAL TABLE(ML_PREDICT('compare_ab', a, b)) AS p;"
    )

    _assert_scored(_scores(local_stack, "score-in-batches", "pairs_scored_in_batches", ROWS), pairs)
    sizes = [len(rows) for rows in endpoint.requests]
    assert sum(sizes) == ROWS
    assert max(sizes) > 1
    assert max(sizes) <= 100
    assert not any("one row per request" in line for line in said)


def test_more_arguments_than_confluent_is_reported_to_take_are_accepted_with_a_warning(
    local_stack: Settings, endpoint: ScriptedEndpoint, pairs: dict[int, tuple[float, float]]
) -> None:
    inputs = ", ".join(f"x{i} DOUBLE" for i in range(WIDE_INPUTS))
    arguments = ", ".join(["a", "b"] * (WIDE_INPUTS // 2))
    said: list[str] = []
    session = Session(local_stack, say=said.append)
    session.execute_script(
        f"""
        CREATE MODEL wide INPUT ({inputs}) OUTPUT (label INT, score DOUBLE)
          WITH ('provider' = 'azureml', 'task' = 'classification',
                'azureml.connection' = 'scripted');
        SET 'client.statement-name' = 'score-wide';
        CREATE TABLE pairs_scored_wide AS SELECT id, p.label, p.score FROM pairs,
          LATERAL TABLE(ML_PREDICT('wide', {arguments})) AS p;
        """
    )

    assert any(f"{WIDE_INPUTS} arguments" in line and "85" in line for line in said), said
    _assert_scored(_scores(local_stack, "score-wide", "pairs_scored_wide", ROWS), pairs)


def test_an_output_named_like_an_input_column_gets_flinks_suffix(
    local_stack: Settings, endpoint: ScriptedEndpoint, pairs: dict[int, tuple[float, float]]
) -> None:
    session = Session(local_stack, say=lambda message: None)
    session.execute_script(
        """
        CREATE MODEL clashing INPUT (a DOUBLE, b DOUBLE) OUTPUT (a INT, score DOUBLE)
          WITH ('provider' = 'azureml', 'task' = 'classification',
                'azureml.connection' = 'scripted');
        SET 'client.statement-name' = 'score-clashing';
        CREATE TABLE pairs_clashing AS SELECT * FROM pairs,
          LATERAL TABLE(ML_PREDICT('clashing', pairs.a, pairs.b));
        """
    )

    records = read_until(local_stack, "pairs_clashing", lambda got: len(got) >= ROWS)
    row = next(r.value for r in records if r.value["id"] == 3)
    # Unqualified `a` would be ambiguous (the call's own output is in scope), so the arguments
    # are qualified; SELECT * keeps the table's `a` and names the model's `a0`, as Flink does.
    assert row == {
        "id": 3,
        "a": pairs[3][0],
        "b": pairs[3][1],
        "a0": expected_answer(*pairs[3])[0],
        "score": expected_answer(*pairs[3])[1],
    }
