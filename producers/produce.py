"""Replay IEEE-CIS files into the `transactions` and `identities` topics, in parallel.

Each producer registers its own key and value schemas (as the cloud demo's Python producers do)
and sends Avro in Confluent's wire format, keyed by TransactionID, with acks from all replicas
and idempotence, through librdkafka (confluent-kafka) with Java's murmur2 partitioner, so a key
lands on the partition a Java or Flink producer would pick. Rows are read and encoded a block at
a time (`csv_source.read_batches`, `common.avro.encoder.BatchEncoder`); see BENCHMARKS.md for
figures.

Record timestamps: the wall clock at send time (the cloud demo's way) or TransactionDT, and
pacing as fast as possible or real time with a speed-up: see `producers/timing.py`.

Each table is written as it is declared (`producers.declared`): its latest registered key and
value schemas say which CSV columns go where and as what type; a value field named
`Timestamp` (or `timestamp_field`) of a timestamp type takes the record's timestamp, as the
cloud demo's producers fill it. Where no table declares a topic's subjects yet, the producers
register their own first: the IEEE-CIS columns, then `Timestamp` (`["null",
local-timestamp-millis]`, a null default), and a table inferred from the topic reads them.

Other clusters (Confluent Cloud): `client_config` is merged into the librdkafka settings
(security.protocol, sasl.*) and `registry_auth` is the Schema Registry's API key and secret.

Kaggle's train_* or test_* files: test_transaction.csv has no isFraud, so its rows are written
with a value schema where isFraud is `["null", "int"]` (null); see `schemas_for`.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.schema_registry import SchemaRegistryClient

from common.avro.encoder import BatchEncoder
from common.avro.schemas import (
    FieldSpec,
    key_record_name,
    record_schema,
    value_record_name,
)
from common.errors import CcflinkError
from common.ieee_cis import (
    IDENTITY_COLUMNS,
    IDENTITY_HEADER,
    KEY_COLUMN,
    PIPELINE_IDENTITY_COLUMNS,
    PIPELINE_TRANSACTION_COLUMNS,
    TRANSACTION_COLUMNS,
    TRANSACTION_HEADER,
    Column,
    Kind,
)
from common.registry import register, registry_client
from producers.csv_source import (
    Batch,
    DeadLetters,
    read_batches,
    read_header,
    read_int_columns,
)
from producers.declared import (
    TIMESTAMP_FIELD,
    CsvColumn,
    RecordPlan,
    declared_schema,
    plan_record,
)
from producers.timing import TIMESTAMP_MODES, DtIndex, EventClock, clock_for

Columns = Literal["pipeline", "all"]
Split = Literal["train", "test"]


@dataclass(frozen=True)
class TopicSource:
    topic: str
    csv_file: str
    header: list[str]
    columns: list[Column]
    # Fields of the CSV that may be absent (test_transaction.csv has no isFraud): they are
    # written as null, so the value schema makes them nullable.
    unlabelled: frozenset[str] = frozenset()

    def for_split(self, split: Split) -> TopicSource:
        return replace(self, csv_file=self.csv_file.replace("train_", f"{split}_", 1))

    def with_columns(self, columns: Columns) -> TopicSource:
        if columns == "pipeline":
            return self
        every = TRANSACTION_COLUMNS if self.header == TRANSACTION_HEADER else IDENTITY_COLUMNS
        return replace(self, columns=every)


TRANSACTIONS = TopicSource(
    "transactions", "train_transaction.csv", TRANSACTION_HEADER, PIPELINE_TRANSACTION_COLUMNS
)
IDENTITIES = TopicSource(
    "identities", "train_identity.csv", IDENTITY_HEADER, PIPELINE_IDENTITY_COLUMNS
)


@dataclass
class TopicSummary:
    topic: str
    sent: int = 0  # accepted by the producer (and not reported failed)
    failed: int = 0  # delivery failed after librdkafka's retries
    dead_lettered: int = 0
    bytes: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    interrupted: bool = False
    unfilled: list[str] = field(default_factory=list)  # declared fields no CSV column fills

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        text = (
            f"{self.topic}: {self.sent:,} sent, {self.failed} failed, "
            f"{self.dead_lettered} dead-lettered, {self.bytes / 1e6:.1f} MB, "
            f"{self.rate:,.0f} records/s{' (interrupted)' if self.interrupted else ''}"
        )
        if self.unfilled:
            text += "; declared fields no CSV column fills, written as null: "
            text += ", ".join(self.unfilled)
        return text


def _value_fields(source: TopicSource) -> list[FieldSpec]:
    return [
        FieldSpec(c.name, c.sql_type, c.nullable or c.name in source.unlabelled)
        for c in source.columns
        if c.name != KEY_COLUMN
    ]


def schemas_for(
    source: TopicSource, timestamp_field: str | None = TIMESTAMP_FIELD
) -> tuple[dict, dict]:
    """The schemas the producers register where no table declares the topic (as the cloud
    demo's producers do): key record `<topic>_key` holding TransactionID; value record with the
    other columns, then `timestamp_field` (TIMESTAMP(3), nullable), the record's timestamp.

    isFraud stays in the value record of an unlabelled file, as `["null", "int"]` with a null
    default, rather than being dropped: every row keeps the table's field names and order, a
    reader schema with a nullable isFraud resolves it, and `isFraud IS NULL` marks the rows.
    """
    key = [c for c in source.columns if c.name == KEY_COLUMN]
    value_specs = _value_fields(source)
    key_specs = [FieldSpec(c.name, c.sql_type, c.nullable) for c in key]
    if timestamp_field is not None:
        value_specs = [*value_specs, FieldSpec(timestamp_field, "TIMESTAMP(3)", nullable=True)]
    return (
        record_schema(key_record_name(source.topic), key_specs),
        record_schema(value_record_name(source.topic), value_specs),
    )


_LOG = logging.getLogger(__name__)


class ReplayOptionError(CcflinkError):
    """A replay option out of its range (argparse checks the rest)."""


class MissingTopicError(CcflinkError):
    """Confluent Cloud does not create topics on first write; neither does the local broker."""


def existing_topics(client_config: dict[str, object], timeout: float = 15.0) -> set[str]:
    """The cluster's topics, asked with the producer's own connection settings."""
    admin = AdminClient({**client_config, "logger": _LOG})  # librdkafka's log off stderr
    return set(admin.list_topics(timeout=timeout).topics)


def producer_config(bootstrap_servers: str) -> dict[str, object]:
    """librdkafka settings: the cloud demo's guarantees, batched for throughput."""
    return {
        "bootstrap.servers": bootstrap_servers,
        "acks": "all",
        "enable.idempotence": True,
        "linger.ms": 50,
        "batch.size": 1_000_000,
        "batch.num.messages": 100_000,
        "queue.buffering.max.messages": 500_000,
        "queue.buffering.max.kbytes": 1_048_576,
        "compression.type": "none",
        "partitioner": "murmur2_random",  # Java's default partitioner for keyed records
        "delivery.report.only.error": True,  # a callback per failure, not per record
    }


@dataclass
class Replay:
    """What every topic's thread shares: timestamps, pacing, the stop flag."""

    timestamps: str = "wall"
    speedup: float | None = None
    clock: EventClock | None = None
    dt_index: DtIndex | None = None
    started: float = 0.0  # time.monotonic() at the replay's start
    started_ms: int = 0  # the wall clock at the same moment, in ms
    stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.started, self.started_ms = time.monotonic(), time.time_ns() // 1_000_000

    def row_dts(self, source: TopicSource, batch) -> tuple[np.ndarray, np.ndarray] | None:
        """(TransactionDT, known) per row, or None when neither timestamps nor pacing need it."""
        if self.clock is None:
            return None
        if "TransactionDT" in batch.values:
            dts = batch.values["TransactionDT"]
            return dts, np.ones(len(dts), dtype=bool)
        assert self.dt_index is not None
        return self.dt_index.lookup(batch.values[KEY_COLUMN])

    def stamp(self, source: TopicSource, batch: Batch) -> tuple[np.ndarray, list[float] | None]:
        """Each row's record timestamp (ms) and, when paced, when it is due (seconds after the
        start): the event time where known, else the wall clock (when paced, the moment it is
        due)."""
        now_ms = time.time_ns() // 1_000_000
        stamps = np.full(batch.rows, now_ms, dtype=np.int64)
        known = self.row_dts(source, batch)
        if known is None:
            return stamps, None
        dts, found = known
        assert self.clock is not None
        due = None
        if self.speedup:
            due_s = np.where(found, self.clock.due_seconds(dts, self.speedup), 0.0)
            due = due_s.tolist()
            stamps = np.maximum(stamps, self.started_ms + (due_s * 1000).astype(np.int64))
        if self.timestamps == "event":
            # an identity without its transaction gets the wall clock
            stamps = np.where(found, self.clock.timestamps_ms(dts), stamps)
        return stamps, due


def _produce_batch(
    producer: Producer,
    topic: str,
    values: bytes,
    value_starts: list[int],
    keys: bytes,
    key_starts: list[int],
    timestamps: list[int],
    due: list[float] | None,
    replay: Replay,
    summary: TopicSummary,
) -> None:
    """Send one encoded batch, each record at its timestamp, each when it is due if paced."""
    produce, poll = producer.produce, producer.poll
    n = len(value_starts) - 1
    for i in range(n):
        if due is not None:
            wait = replay.started + due[i] - time.monotonic()
            while wait > 0 and not replay.stop.is_set():
                poll(min(wait, 0.2))
                wait = replay.started + due[i] - time.monotonic()
        if replay.stop.is_set():
            return
        value = values[value_starts[i] : value_starts[i + 1]]
        key = keys[key_starts[i] : key_starts[i + 1]]
        while True:
            try:
                produce(topic, value, key, timestamp=timestamps[i])
                break
            except BufferError:  # the local queue is full: let deliveries drain it
                poll(0.05)
        summary.sent += 1
        summary.bytes += len(value) + len(key)
        if i % 5000 == 0:
            poll(0)


@dataclass(frozen=True)
class TopicPlan:
    """One topic's replay: which file, and how its key and value records are written."""

    source: TopicSource
    path: Path
    key: RecordPlan
    value: RecordPlan

    @property
    def columns(self) -> list[CsvColumn]:
        """The CSV columns to read: the records' and those the replay's timing needs."""
        wanted = {c.name: c for c in [*self.key.columns, *self.value.columns]}
        for name in (KEY_COLUMN, "TransactionDT"):  # event time and pacing (Replay.row_dts)
            if name in self.source.header and name not in wanted:
                wanted[name] = CsvColumn(name, Kind.INT, nullable=False)
        return list(wanted.values())


def _record_plan(
    registry: SchemaRegistryClient,
    topic: str,
    role: str,
    ours: dict,
    header: list[str],
    timestamp_field: str | None,
) -> RecordPlan:
    """The table's record as its latest registered schema declares it; where no table declares
    the subject yet, ours, registered first (as the cloud demo's producers do)."""
    declared = declared_schema(registry, topic, role)
    if declared is None:
        declared = register(registry, f"{topic}-{role}", ours), ours
    schema_id, schema = declared
    return plan_record(topic, role, schema_id, schema, header, timestamp_field)


def plan_topic(
    registry: SchemaRegistryClient,
    data_dir: Path,
    source: TopicSource,
    timestamp_field: str | None,
) -> TopicPlan:
    """How `source` is written to its table; DeclaredSchemaError before anything is sent."""
    path = data_dir / source.csv_file
    header = read_header(path, source.header)
    absent = frozenset(c.name for c in source.columns if c.name not in header)
    source = replace(source, unlabelled=absent)
    key_schema, value_schema = schemas_for(source, timestamp_field)
    return TopicPlan(
        source,
        path,
        _record_plan(registry, source.topic, "key", key_schema, header, None),
        _record_plan(registry, source.topic, "value", value_schema, header, timestamp_field),
    )


def produce_topic(
    bootstrap_servers: str,
    plan: TopicPlan,
    summary: TopicSummary,
    dead_letter_dir: Path,
    replay: Replay,
    *,
    client_config: dict[str, str] | None = None,
) -> None:
    source = plan.source
    key_encoder = BatchEncoder(plan.key.schema_id, plan.key.fields)
    value_encoder = BatchEncoder(plan.value.schema_id, plan.value.fields)
    dead_letters = DeadLetters(dead_letter_dir / f"{source.topic}.dead-letter.tsv")
    if dead_letters.path.exists():
        dead_letters.path.unlink()  # one file per replay, not an ever-growing one

    def on_delivery(error: KafkaError | None, _message: object) -> None:
        if error is not None:
            summary.failed += 1
            summary.sent -= 1
            if len(summary.errors) < 5:
                summary.errors.append(str(error))

    producer = Producer(
        {
            **producer_config(bootstrap_servers),
            **(client_config or {}),
            "on_delivery": on_delivery,
        }
    )
    start = time.monotonic()
    try:
        for batch in read_batches(plan.path, source.header, plan.columns, dead_letters):
            summary.dead_lettered = dead_letters.count
            if replay.stop.is_set():
                break
            stamps, due = replay.stamp(source, batch)
            if plan.value.timestamp is not None:
                batch.values[plan.value.timestamp] = stamps
                batch.nulls[plan.value.timestamp] = np.zeros(batch.rows, dtype=bool)
            values, value_starts = value_encoder.encode(batch)
            keys, key_starts = key_encoder.encode(batch)
            _produce_batch(
                producer,
                source.topic,
                values,
                value_starts,
                keys,
                key_starts,
                stamps.tolist(),
                due,
                replay,
                summary,
            )
    finally:
        summary.interrupted = replay.stop.is_set()
        remaining = producer.flush(60)
        if remaining:
            summary.failed += remaining
            summary.sent -= remaining
            summary.errors.append(f"{remaining} records still undelivered after 60 s")
        summary.dead_lettered = dead_letters.count
        summary.seconds = time.monotonic() - start


def _report(
    summaries: list[TopicSummary], done: threading.Event, out: Callable[[str], None] | None
) -> None:
    """A live line on a terminal (every 0.5 s), a plain line every 5 s otherwise."""
    interactive = out is None and sys.stdout.isatty()
    began = time.monotonic()
    last = {s.topic: 0 for s in summaries}
    last_time = began
    while not done.wait(0.5 if interactive else 5.0):
        now = time.monotonic()
        parts = []
        for s in summaries:
            rate = (s.sent - last[s.topic]) / (now - last_time)
            parts.append(f"{s.topic} {s.sent:>9,} ({rate:>8,.0f}/s)")
            last[s.topic] = s.sent
        last_time = now
        line = f"  producing {now - began:5.0f}s: " + " | ".join(parts)
        if interactive:
            print(f"\r{line}", end="", flush=True)
        elif out is not None:
            out(line)
        else:
            print(line, flush=True)
    if interactive:
        print()


def data_files(data_dir: Path, split: Split | None = None) -> Split:
    """Which of Kaggle's file pairs to read: `split`, else train_* if present, else test_*."""
    if split is not None:
        return split
    if (data_dir / TRANSACTIONS.csv_file).exists():
        return "train"
    if (data_dir / TRANSACTIONS.for_split("test").csv_file).exists():
        return "test"
    return "train"


def produce_dataset(
    bootstrap_servers: str,
    registry_url: str,
    data_dir: Path,
    dead_letter_dir: Path,
    sources: tuple[TopicSource, ...] = (TRANSACTIONS, IDENTITIES),
    show_progress: bool = True,
    *,
    split: Split | None = None,
    columns: Columns = "pipeline",
    timestamps: str = "wall",
    speedup: float | None = None,
    progress: Callable[[str], None] | None = None,
    timestamp_field: str | None = TIMESTAMP_FIELD,
    client_config: dict[str, str] | None = None,
    registry_auth: tuple[str, str] | None = None,
) -> list[TopicSummary]:
    """Produce every source in its own thread; returns one summary per topic.

    Ctrl-C stops reading, flushes what the producers accepted, and still returns the summaries
    (marked `interrupted`), also when it comes before the first record. `progress` receives the
    periodic lines instead of stdout. Each table is written as its registered schemas declare
    it (`producers.declared`); `timestamp_field` names the value field that takes the record's
    timestamp (None: no field does). `client_config`: librdkafka settings merged into the
    producers' (and used for the topic check), e.g. security.protocol and sasl.* for Confluent
    Cloud; `registry_auth`: (key, secret) for the Schema Registry's HTTP basic auth.
    """
    if timestamps not in TIMESTAMP_MODES:
        raise ReplayOptionError(f"timestamps must be one of {TIMESTAMP_MODES}, not {timestamps!r}")
    if speedup is not None and speedup <= 0:
        raise ReplayOptionError(f"--speedup must be positive, not {speedup}")
    chosen = data_files(data_dir, split)
    summaries = [TopicSummary(s.topic) for s in sources]
    replay = Replay(timestamps=timestamps, speedup=speedup)
    try:
        existing = existing_topics(
            {"bootstrap.servers": bootstrap_servers, **(client_config or {})}
        )
        missing = [s.topic for s in sources if s.topic not in existing]
        if missing:
            raise MissingTopicError(
                f"topics {missing} do not exist: create the tables first "
                "(ccflink sql pyflink_jobs/sql/01_source_tables.sql)"
            )
        if timestamps == "event" or speedup:
            transactions = data_dir / TRANSACTIONS.for_split(chosen).csv_file
            pre = read_int_columns(transactions, [KEY_COLUMN, "TransactionDT"])
            replay.clock = clock_for(pre["TransactionDT"], int(time.time() * 1000))
            replay.dt_index = DtIndex.build(pre[KEY_COLUMN], pre["TransactionDT"])
    except KeyboardInterrupt:  # before anything was sent
        for summary in summaries:
            summary.interrupted = True
        return summaries
    registry = registry_client(registry_url, auth=registry_auth)
    plans = [
        plan_topic(registry, data_dir, s.for_split(chosen).with_columns(columns), timestamp_field)
        for s in sources
    ]  # every table's refusal comes before the first record is sent
    for plan, summary in zip(plans, summaries, strict=True):
        summary.unfilled = [*plan.key.unfilled, *plan.value.unfilled]
    replay.start()
    failures: list[BaseException] = []
    finished = [threading.Event() for _ in sources]

    def run(plan: TopicPlan, summary: TopicSummary, finished: threading.Event) -> None:
        try:
            produce_topic(
                bootstrap_servers,
                plan,
                summary,
                dead_letter_dir,
                replay,
                client_config=client_config,
            )
        except BaseException as error:
            failures.append(error)
            replay.stop.set()
        finally:
            finished.set()

    threads = [
        threading.Thread(target=run, args=args, name=f"produce-{args[0].source.topic}")
        for args in zip(plans, summaries, finished, strict=True)
    ]
    done = threading.Event()
    reporter = threading.Thread(target=_report, args=(summaries, done, progress), daemon=True)
    # Waits are on `finished`, not Thread.join: Python 3.11's join(timeout), interrupted by
    # Ctrl-C, marks a running thread as stopped, and the summaries would come back (and the
    # process exit) while its producer still flushes records counted as sent.
    try:
        if show_progress:
            reporter.start()
        for thread in threads:
            thread.start()
        for event in finished:
            while not event.wait(0.2):
                pass
    except KeyboardInterrupt:
        # A thread not started yet never runs; the others stop at their next row and flush.
        replay.stop.set()
        for thread, event, summary in zip(threads, finished, summaries, strict=True):
            if thread.ident is not None:
                event.wait()
            else:
                summary.interrupted = True
    finally:
        done.set()
        if reporter.is_alive():
            reporter.join()
    if failures:
        raise failures[0]
    return summaries
