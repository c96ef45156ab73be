"""The fraud pipeline written with Quix Streams: what `benchmarks.quix_pipeline` measures.

Reads `transactions` and `identities` (Avro, Confluent wire format, decoded with common/avro
against the stack's registry), joins them as 02_join.sql does (benchmarks/quix/join.py), adds
the time features of 03_features.sql (model_server.features.time_features, the same rule),
scores each row with one request to the model server (the body ML_PREDICT sends, from the
model's codec; one request at a time on a keep-alive session: Quix processes a partition's
records one after the other) and writes the predictions as JSON to a topic whose records the
broker stamps on arrival (LogAppendTime), so the benchmark reads when each one was written.

Runs in its own venv (quixstreams 3.28.1 needs confluent-kafka < 2.13, ccflink pins 2.16.1):

    .ccflink/venv-quix/bin/python -m benchmarks.quix.app CONFIG.json
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from quixstreams import Application
from quixstreams.models.serializers import Deserializer

from benchmarks.quix.join import FlinkLeftIntervalJoin
from benchmarks.quix.watermark import Row, Watermark
from common.avro.decoder import AvroDecoder
from common.registry import registry_client
from model_server.features import time_features
from pyflink_jobs.ml_formats import ModelCodec

TIME_FEATURES = ("DT_D", "DT_W", "DT_M")


@dataclass(frozen=True)
class Config:
    """What the benchmark hands the Quix process (a JSON file: the model key is in it)."""

    bootstrap_servers: str
    registry_url: str
    model_url: str
    model_key: str
    inputs: list[tuple[str, str]]  # the model's INPUT columns and SQL types
    outputs: list[tuple[str, str]]
    partitions: int
    output_topic: str
    consumer_group: str
    state_dir: str

    @classmethod
    def read(cls, path: Path) -> Config:
        fields = json.loads(path.read_text())
        fields["inputs"] = [tuple(c) for c in fields["inputs"]]
        fields["outputs"] = [tuple(c) for c in fields["outputs"]]
        return cls(**fields)


class AvroValues(Deserializer):
    """Quix's deserializer over ccflink's decoder: schemas fetched once per id."""

    def __init__(self, decode: AvroDecoder) -> None:
        super().__init__()
        self._decode = decode

    def __call__(self, value: bytes, ctx: Any) -> Any:
        return self._decode(value)


def with_key(value: Row, key: Row, _timestamp: int, _headers: Any) -> Row:
    """The row with its key's columns: TransactionID is the Kafka key (DISTRIBUTED BY), and
    Confluent's tables keep key columns out of the value, as Flink's `t.*` puts them back."""
    return key | value


def with_time_features(row: Row) -> Row:
    """03_features.sql: day of year, day of week (Sunday = 1) and month of TransactionDT."""
    return row | dict(zip(TIME_FEATURES, time_features(row["TransactionDT"]), strict=True))


class Scorer:
    """ML_PREDICT's request for one row, on one keep-alive session."""

    def __init__(self, config: Config) -> None:
        self._codec = ModelCodec.create(config.inputs, config.outputs)
        self._names = [name for name, _ in config.inputs]
        self._outputs = [name for name, _ in config.outputs]
        self._url = f"{config.model_url}/score"
        self._session = requests.Session()
        self._session.headers.update(
            {"Authorization": f"Bearer {config.model_key}", **self._codec.headers()}
        )

    def __call__(self, row: Row) -> Row:
        body = self._codec.encode(tuple(row.get(name) for name in self._names))
        response = self._session.post(self._url, data=body, timeout=30)
        response.raise_for_status()
        prediction = dict(zip(self._outputs, self._codec.decode(response.content), strict=True))
        return {"TransactionID": row["TransactionID"], "isFraud": row["isFraud"], **prediction}


def build(config: Config) -> Application:
    """The application: two sources, the join, the features, the scoring, the sink."""
    app = Application(
        broker_address=config.bootstrap_servers,
        consumer_group=config.consumer_group,
        auto_offset_reset="earliest",
        state_dir=config.state_dir,
        loglevel="WARNING",
    )
    avro = AvroValues(AvroDecoder.of_registry(registry_client(config.registry_url)))
    transactions, identities = (
        app.dataframe(app.topic(name, key_deserializer=avro, value_deserializer=avro)).apply(
            with_key, metadata=True
        )
        for name in ("transactions", "identities")
    )
    # Created by the benchmark, stamped by the broker on arrival (LogAppendTime).
    predictions = app.topic(config.output_topic, value_serializer="json", key_serializer="str")
    join = FlinkLeftIntervalJoin(Watermark(config.partitions), config.partitions)
    scored = join.join(transactions, identities).apply(with_time_features).apply(Scorer(config))
    scored.to_topic(predictions, key=lambda row: str(row["TransactionID"]))
    return app


def main(argv: list[str] | None = None) -> None:
    """Run until stopped (SIGTERM or Ctrl-C: Quix commits and exits)."""
    argv = sys.argv[1:] if argv is None else argv
    build(Config.read(Path(argv[0]))).run()


if __name__ == "__main__":
    main()
