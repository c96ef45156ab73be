"""The fraud pipeline end to end on the real stack, checked against values computed here.

2,000 synthetic transactions and their identities go through the unchanged SQL files
(pyflink_jobs/sql/): CREATE TABLE, LEFT interval join, time features, CREATE MODEL, ML_PREDICT.
They are replayed as `make up` does: at full speed with event-time record timestamps, after
the running statements' sources had no data for longer than Flink's 15 s idle timeout.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from common.ieee_cis import IDENTITY_COLUMNS, KEY_COLUMN
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.demo import PREDICTIONS_TOPIC
from emulator.demo.pipeline import ArrivalWatch, run_demo, run_pipeline, topics_before
from emulator.flink.rest import FlinkRest
from emulator.topic_reader import AvroTopicReader, Record
from model_server.features import FEATURES, OUTPUTS, time_features
from producers.produce import IDENTITIES, TRANSACTIONS, TopicSource, produce_dataset, schemas_for
from producers.synthetic import generate
from pyflink_jobs.ml_predict import METRIC_GROUP
from tests.integration.conftest import read_until

pytestmark = pytest.mark.integration

ROWS = 2_000
# Longer than the 15 s source idle timeout Confluent starts with (and our session default).
QUIET_BEFORE_REPLAY_SECONDS = 20
JOIN_WINDOW_MS = 60_000
SENTINEL_ID_BASE = 9_000_000
IDENTITY_FIELDS = [c.name for c in IDENTITY_COLUMNS if c.name != KEY_COLUMN]


@dataclass
class PipelineRun:
    transactions: dict[int, Record]
    identities: dict[int, Record]
    enriched: list[Record]
    features: list[Record]
    predictions: list[Record]


def _real(records: list[Record]) -> list[Record]:
    return [r for r in records if r.value["TransactionID"] < SENTINEL_ID_BASE]


def _by_key(records: list[Record]) -> dict[int, Record]:
    return {r.key[KEY_COLUMN]: r for r in records if r.key[KEY_COLUMN] < SENTINEL_ID_BASE}


def _advance_watermarks(settings: Settings) -> None:
    """One record per partition, ten minutes ahead, so the LEFT join emits unmatched rows.

    That is how an event-time pipeline is flushed: only newer records move a watermark.
    """
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "acks": "all"})
    future_ms = int(time.time() * 1000) + 10 * 60 * 1000
    for source in (TRANSACTIONS, IDENTITIES):
        _send_sentinels(producer, settings, source, future_ms)
    assert producer.flush(30) == 0, "sentinels not delivered"


def _send_sentinels(
    producer: Producer, settings: Settings, source: TopicSource, timestamp_ms: int
) -> None:
    registry = SchemaRegistryClient({"url": settings.schema_registry_url})
    key_schema, value_schema = schemas_for(source)
    key = SerializationContext(source.topic, MessageField.KEY)
    value = SerializationContext(source.topic, MessageField.VALUE)
    keys = AvroSerializer(registry, json.dumps(key_schema))
    values = AvroSerializer(registry, json.dumps(value_schema))
    empty = {
        c.name: (0 if not c.nullable else None) for c in source.columns if c.name != KEY_COLUMN
    }
    metadata = producer.list_topics(source.topic, timeout=10).topics[source.topic]
    for partition in sorted(metadata.partitions):
        producer.produce(
            source.topic,
            key=keys({KEY_COLUMN: SENTINEL_ID_BASE + partition}, key),
            value=values(empty, value),
            partition=partition,
            timestamp=timestamp_ms,
        )


@pytest.fixture(scope="module")
def pipeline_run(local_stack: Settings, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    data_dir = tmp_path_factory.mktemp("ieee-cis")
    generate(ROWS, data_dir, seed=2024)
    run_pipeline(local_stack, say=lambda message: None)
    time.sleep(QUIET_BEFORE_REPLAY_SECONDS)
    produce_dataset(
        local_stack.bootstrap_servers,
        local_stack.schema_registry_url,
        data_dir,
        local_stack.state_dir / "dead-letters",
        show_progress=False,
        timestamps="event",
    )
    transactions = read_until(local_stack, "transactions", lambda r: len(r) >= ROWS)
    identity_count = sum(1 for _ in (data_dir / "train_identity.csv").open()) - 1
    identities = read_until(local_stack, "identities", lambda r: len(r) >= identity_count)
    _advance_watermarks(local_stack)

    def complete(records: list[Record]) -> bool:
        return len({r.value["TransactionID"] for r in _real(records)}) >= ROWS

    return PipelineRun(
        transactions=_by_key(transactions),
        identities=_by_key(identities),
        enriched=_real(read_until(local_stack, "transactions_enriched", complete)),
        features=_real(read_until(local_stack, "transactions_features", complete)),
        predictions=_real(read_until(local_stack, PREDICTIONS_TOPIC, complete)),
    )


def test_replay_sent_every_row_once(pipeline_run: PipelineRun) -> None:
    assert sorted(pipeline_run.transactions) == list(range(2_987_000, 2_987_000 + ROWS))


def test_join_pairs_each_transaction_with_its_identity_inside_the_window(
    pipeline_run: PipelineRun,
) -> None:
    enriched = {r.value["TransactionID"]: r.value for r in pipeline_run.enriched}
    assert len(enriched) == len(pipeline_run.enriched) == ROWS
    joined = 0
    for transaction_id, transaction in pipeline_run.transactions.items():
        identity = pipeline_run.identities.get(transaction_id)
        row = enriched[transaction_id]
        in_window = (
            identity is not None
            and abs(identity.timestamp_ms - transaction.timestamp_ms) <= JOIN_WINDOW_MS
        )
        expected = (
            {f: identity.value[f] for f in IDENTITY_FIELDS}
            if in_window
            else dict.fromkeys(IDENTITY_FIELDS)
        )
        assert {f: row[f] for f in IDENTITY_FIELDS} == expected, transaction_id
        assert row["TransactionAmt"] == transaction.value["TransactionAmt"]
        joined += in_window
    assert joined > 0.15 * ROWS  # the generator gives about a quarter an identity row


def test_time_features_follow_transaction_dt(pipeline_run: PipelineRun) -> None:
    assert len(pipeline_run.features) == ROWS
    for record in pipeline_run.features:
        row = record.value
        assert (row["DT_D"], row["DT_W"], row["DT_M"]) == time_features(row["TransactionDT"])


def _onnx_predictions(model_dir: Path, rows: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Run the exported model directly (no server, no scoring script) on the feature rows."""
    folder = model_dir / "model"
    metadata = json.loads((folder / "metadata.json").read_text())
    session = ort.InferenceSession(str(folder / "fraud.onnx"), providers=["CPUExecutionProvider"])
    feed = {}
    for feature in metadata["features"]:
        name = feature["name"]
        values = [row[name] for row in rows]
        if feature["kind"] == "numeric":
            numbers = [np.nan if v is None else v for v in values]
            feed[name] = np.array(numbers, dtype=np.float32).reshape(-1, 1)
        else:
            strings = [metadata.get("missing_string", "") if v is None else v for v in values]
            feed[name] = np.array(strings, dtype=object).reshape(-1, 1)
    labels, probabilities = session.run(None, feed)
    return labels.ravel(), probabilities[:, 1]


def test_every_row_gets_exactly_the_models_prediction(
    pipeline_run: PipelineRun, local_stack: Settings
) -> None:
    predicted_ids = [r.value["TransactionID"] for r in pipeline_run.predictions]
    assert sorted(predicted_ids) == sorted(pipeline_run.transactions)  # none lost, none twice
    features = sorted((r.value for r in pipeline_run.features), key=lambda v: v["TransactionID"])
    predictions = {r.value["TransactionID"]: r.value for r in pipeline_run.predictions}
    assert set(FEATURES) <= set(features[0])
    labels, probabilities = _onnx_predictions(local_stack.model_dir, features)
    for row, label, probability in zip(features, labels, probabilities, strict=True):
        prediction = predictions[row["TransactionID"]]
        assert prediction[OUTPUTS[0]] == int(label), row["TransactionID"]
        assert prediction[OUTPUTS[1]] == pytest.approx(float(probability), abs=1e-6)
        assert prediction["isFraud"] == row["isFraud"]


def test_ml_predict_reports_its_calls_as_flink_metrics(
    pipeline_run: PipelineRun, local_stack: Settings
) -> None:
    catalog = Catalog.for_state(local_stack.state_dir)
    [job_id] = [
        r.job_id
        for r in catalog.statements.values()
        if r.sql.startswith("CREATE TABLE fraud_predictions")
    ]
    rest = FlinkRest(local_stack.flink_rest_url)
    deadline = time.monotonic() + 90  # the JobManager fetches metrics every 10 s
    metrics = rest.metrics(job_id, METRIC_GROUP)
    while metrics.get("fraud_detection.requests", 0) < ROWS and time.monotonic() < deadline:
        time.sleep(2)
        metrics = rest.metrics(job_id, METRIC_GROUP)
    # One request per scored row (the watermark sentinels that join each other are scored
    # too), each timed, none retried or failed: PyFlink reports a counter once it moved.
    assert metrics["fraud_detection.requests"] >= ROWS
    assert metrics["fraud_detection.latency_ms_count"] == metrics["fraud_detection.requests"]
    assert "fraud_detection.retries" not in metrics
    assert not any(name.split(".")[1].startswith("failures_") for name in metrics)


def test_a_second_demo_run_replays_nothing_and_watches_from_the_end(
    pipeline_run: PipelineRun, local_stack: Settings
) -> None:
    """`up --demo` again on these topics: no replay, and a watch from the offsets it took sees
    none of the predictions already there."""
    before = topics_before(local_stack)
    assert before.records("transactions") >= ROWS
    said: list[str] = []
    followed: list[ArrivalWatch] = []
    run_demo(
        local_stack,
        followed.append,
        said.append,
        rows=ROWS,
        data_dir=None,
        replay_options={},
        ml_batch_size=1,
        up_started=time.monotonic(),
    )
    assert followed == [] and any("not replaying them again" in line for line in said)
    assert topics_before(local_stack).records("transactions") == before.records("transactions")
    reader = AvroTopicReader(
        local_stack.bootstrap_servers,
        local_stack.schema_registry_url,
        PREDICTIONS_TOPIC,
        start_offsets=before.partitions[PREDICTIONS_TOPIC],
    )
    try:
        assert _real(reader.poll(timeout_ms=3000)) == []  # a late sentinel's may come
    finally:
        reader.close()
