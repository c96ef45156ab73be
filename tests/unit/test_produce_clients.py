"""What the producers hand to their clients: the value schema (with its trailing `Timestamp`),
librdkafka settings for other clusters, the registry's basic auth, and the records themselves,
written as each table declares them (its registered schemas) or, where none does, as ours.

No broker and no registry: confluent-kafka's Producer and AdminClient are replaced by fakes, and
the registry's HTTP is answered at the transport (tests/fakes.py), so the requests checked are
the ones sent.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

import producers.produce as produce
from common.avro.decoder import AvroDecoder
from common.avro.wire import unpack_header
from emulator.dialect.splitter import split_statements
from emulator.dialect.statements import parse
from emulator.schema_registry import compatibility
from emulator.tables import table_entry, value_schema
from producers.declared import DeclaredSchemaError
from producers.produce import (
    IDENTITIES,
    TRANSACTIONS,
    TopicSummary,
    produce_dataset,
    schemas_for,
)
from producers.synthetic import generate
from tests.fakes import FakeAdmin, FakeRegistry

SOURCE_TABLES = (
    Path(__file__).resolve().parents[2] / "pyflink_jobs" / "sql" / "01_source_tables.sql"
)
TIMESTAMP = {
    "name": "Timestamp",
    "type": ["null", {"type": "long", "logicalType": "local-timestamp-millis"}],
    "default": None,
}
CLOUD = {
    "security.protocol": "SASL_SSL",
    "sasl.mechanisms": "PLAIN",
    "sasl.username": "KAFKA-KEY",
    "sasl.password": "kafka-secret",
}


def _tables() -> dict[str, dict]:
    """The value schemas CREATE TABLE registers for 01_source_tables.sql, by table."""
    entries = [table_entry(parse(s.text)) for s in split_statements(SOURCE_TABLES.read_text())]
    return {e.name: e for e in entries}


def test_value_schema_ends_with_a_nullable_timestamp() -> None:
    _, value = schemas_for(TRANSACTIONS)
    assert value["fields"][-1] == TIMESTAMP
    _, without = schemas_for(TRANSACTIONS, timestamp_field=None)
    assert value["fields"][:-1] == without["fields"]


@pytest.mark.parametrize("source", [TRANSACTIONS, IDENTITIES], ids=lambda s: s.topic)
@pytest.mark.parametrize("columns", ["pipeline", "all"])
def test_value_schema_is_backward_compatible_with_the_table_and_flink_reads_it(
    source: produce.TopicSource, columns: str
) -> None:
    table = _tables()[source.topic]
    registered = value_schema(table)
    _, ours = schemas_for(source.with_columns(columns))  # type: ignore[arg-type]
    assert registered == schemas_for(source, timestamp_field=None)[1]
    earlier = [compatibility.EarlierVersion(1, json.dumps(registered))]
    assert compatibility.check(json.dumps(ours), earlier, "BACKWARD") == []
    # Flink's reader schema (the table's, legacy timestamp mapping) reads what we write.
    assert (
        compatibility.reader_incompatibilities(value_schema(table, flink_reader=True), ours) == []
    )


class FakeProducer:
    instances: ClassVar[list[FakeProducer]] = []

    def __init__(self, config: dict) -> None:
        self.config = config
        self.records: list[tuple[str, bytes, bytes, int]] = []
        FakeProducer.instances.append(self)

    def produce(self, topic: str, value: bytes, key: bytes, timestamp: int = 0) -> None:
        self.records.append((topic, value, key, timestamp))

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        return 0


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    monkeypatch.setattr(FakeAdmin, "configs", [])
    FakeProducer.instances = []
    monkeypatch.setattr(produce, "AdminClient", FakeAdmin)
    monkeypatch.setattr(produce, "Producer", FakeProducer)
    return FakeRegistry().install(monkeypatch)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ieee-cis")
    generate(60, folder, seed=11)
    return folder


def _produce(
    data_dir: Path, dead_letters: Path, bootstrap: str = "localhost:9092", **options: Any
) -> list[TopicSummary]:
    """produce_dataset against the fakes: a made-up registry URL, no progress lines."""
    return produce_dataset(
        bootstrap,
        "https://registry.invalid",
        data_dir,
        dead_letters,
        show_progress=False,
        **options,
    )


def test_client_config_reaches_the_producers_and_the_topic_check(
    fakes: FakeRegistry, data_dir: Path, tmp_path: Path
) -> None:
    _produce(data_dir, tmp_path, "cloud:9092", client_config=CLOUD)
    assert FakeAdmin.configs == [{"bootstrap.servers": "cloud:9092", **CLOUD}]
    assert len(FakeProducer.instances) == 2
    for producer in FakeProducer.instances:
        assert {k: producer.config[k] for k in CLOUD} == CLOUD
        assert producer.config["bootstrap.servers"] == "cloud:9092"
        assert producer.config["acks"] == "all"  # the defaults stay, merged
        assert producer.config["enable.idempotence"] is True
        assert callable(producer.config["on_delivery"])
    assert all(r.headers.get("Authorization") is None for r in fakes.requests)


def test_registry_auth_reaches_every_registry_request(
    fakes: FakeRegistry, data_dir: Path, tmp_path: Path
) -> None:
    _produce(data_dir, tmp_path, registry_auth=("SR-KEY", "sr-secret"))
    expected = "Basic " + base64.b64encode(b"SR-KEY:sr-secret").decode()
    assert len(fakes.requests) == 8  # each topic's key and value looked up, then registered
    assert {r.headers["Authorization"] for r in fakes.requests} == {expected}
    assert FakeAdmin.configs == [{"bootstrap.servers": "localhost:9092"}]


@pytest.mark.parametrize("timestamps", ["wall", "event"])
def test_every_value_carries_its_kafka_timestamp(
    fakes: FakeRegistry, data_dir: Path, tmp_path: Path, timestamps: str
) -> None:
    summaries = _produce(data_dir, tmp_path, timestamps=timestamps)
    records = [r for p in FakeProducer.instances for r in p.records]
    assert len(records) == sum(s.sent for s in summaries) > 60
    epoch = datetime(1970, 1, 1)
    decode = AvroDecoder(fakes.schemas.__getitem__)
    for topic, value, _key, timestamp in records:
        assert timestamp > 1_600_000_000_000, topic  # always explicit, never "now" (0)
        decoded = decode(value)
        assert list(decoded)[-1] == "Timestamp"
        millis = (decoded["Timestamp"] - epoch).total_seconds() * 1000
        assert round(millis) == timestamp
        assert fakes.schemas[unpack_header(value)]["fields"][-1] == TIMESTAMP


def test_a_table_created_here_is_written_with_its_own_schema(
    monkeypatch: pytest.MonkeyPatch, fakes: FakeRegistry, data_dir: Path, tmp_path: Path
) -> None:
    tables = _tables()  # as 01_source_tables.sql declares them: no Timestamp field
    declared = {f"{name}-value": value_schema(table) for name, table in tables.items()}
    registry = FakeRegistry(declared).install(monkeypatch)
    _produce(data_dir, tmp_path)
    for producer in FakeProducer.instances:
        topic, value, _key, timestamp = producer.records[0]
        assert unpack_header(value) == registry.ids[f"{topic}-value"]  # no new version
        assert timestamp > 1_600_000_000_000  # the record's timestamp, explicit
        assert "Timestamp" not in AvroDecoder(registry.schemas.__getitem__)(value)
    posted = {r.url.path for r in registry.requests if r.method == "POST"}
    assert posted == {"/subjects/transactions-key/versions", "/subjects/identities-key/versions"}


USER_TABLE = """CREATE TABLE transactions (
  TransactionID INT NOT NULL, card1 INT, TransactionAmt DOUBLE, ProductCD STRING,
  `Timestamp` TIMESTAMP(3), note STRING
) DISTRIBUTED INTO 6 BUCKETS"""


def _declare(monkeypatch: pytest.MonkeyPatch, ddl: str) -> FakeRegistry:
    table = table_entry(parse(ddl))
    return FakeRegistry({"transactions-value": value_schema(table)}).install(monkeypatch)


def test_a_users_table_is_written_as_declared_and_its_timestamp_filled(
    monkeypatch: pytest.MonkeyPatch, fakes: FakeRegistry, data_dir: Path, tmp_path: Path
) -> None:
    registry = _declare(monkeypatch, USER_TABLE)
    [summary] = _produce(data_dir, tmp_path, sources=(TRANSACTIONS,), timestamps="event")
    assert summary.unfilled == ["note"]  # no such CSV column: null, and said
    [producer] = FakeProducer.instances
    decode = AvroDecoder(registry.schemas.__getitem__)
    epoch = datetime(1970, 1, 1)
    for _topic, value, _key, timestamp in producer.records:
        record = decode(value)
        assert list(record) == ["TransactionID", "card1", "TransactionAmt", "ProductCD",
                                "Timestamp", "note"]  # fmt: skip
        assert isinstance(record["card1"], int) and record["note"] is None
        assert round((record["Timestamp"] - epoch).total_seconds() * 1000) == timestamp
    assert not [
        r for r in registry.requests if r.url.path == "/subjects/transactions-value/versions"
    ]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("card7 INT NOT NULL", r"`card7` \(int, not null\) has no column in the CSV"),
        ("card1 BOOLEAN", r"`card1` \(boolean\): the replay writes CSV text as INT, BIGINT"),
    ],
)
def test_what_cannot_be_written_stops_before_anything_is_sent(
    monkeypatch: pytest.MonkeyPatch,
    fakes: FakeRegistry,
    data_dir: Path,
    tmp_path: Path,
    column: str,
    message: str,
) -> None:
    _declare(monkeypatch, f"CREATE TABLE transactions (TransactionID INT NOT NULL, {column})")
    with pytest.raises(DeclaredSchemaError, match=r"table `transactions`: value field " + message):
        _produce(data_dir, tmp_path)
    assert all(not p.records for p in FakeProducer.instances)
