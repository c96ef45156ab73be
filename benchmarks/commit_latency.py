"""Latency under exactly-once: how long a row takes through one statement to a reader of
committed records, and to one that reads uncommitted ones, for a few checkpoint intervals.

A stack of its own (Kafka, the Schema Registry, Flink; free ports, a temporary folder), one
source table and one `CREATE TABLE ... AS SELECT *` over it per interval, a steady load of
rows stamped with the time they were sent, and two readers of the output: `read_committed`
(what Flink, ccflink's readers and Confluent's default give) and `read_uncommitted`. A row's
latency is when a reader got it minus when it was sent. Under exactly-once a row becomes
visible when the checkpoint after it completes, so the committed reader's latency is about
half the interval on average and the whole interval at worst; the uncommitted reader sees
rows as the statement writes them, and would also see those of a transaction Flink aborts.

    .venv/bin/python -m benchmarks.commit_latency                       # 5 s and 1 s
    .venv/bin/python -m benchmarks.commit_latency --interval "60 s" --seconds 180
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from benchmarks import report
from common.avro.decoder import AvroDecoder
from common.registry import registry_client
from emulator import config
from emulator.config import Settings
from emulator.flink import cluster
from emulator.kafka import broker
from emulator.ports import free_ports
from emulator.process import ManagedProcess
from emulator.schema_registry import service as schema_registry
from emulator.sql.session import Session

SECTION = "commit-latency"
ISOLATION_LEVELS = ("read_committed", "read_uncommitted")


@dataclass(frozen=True)
class Run:
    interval: str
    isolation: str
    rows: int
    p50_ms: float
    p95_ms: float
    max_ms: float


class Reader:
    """Every row of the output topic and when it arrived, read at one isolation level."""

    def __init__(self, settings: Settings, topic: str, isolation: str) -> None:
        self.arrived: dict[int, float] = {}
        self._decode = AvroDecoder.of_registry(registry_client(settings.schema_registry_url))
        self._consumer = Consumer(
            {
                "bootstrap.servers": settings.bootstrap_servers,
                "group.id": f"latency-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "isolation.level": isolation,
                "fetch.wait.max.ms": 10,
            }
        )
        partitions = self._consumer.list_topics(topic, timeout=10).topics[topic].partitions
        self._consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            for message in self._consumer.consume(num_messages=1000, timeout=0.05):
                if message.error() is None and message.value():
                    now = time.time() * 1000
                    row = self._decode(message.value())
                    self.arrived.setdefault(row["id"], now - row["sent_ms"])

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._consumer.close()


def start_services(settings: Settings) -> None:
    broker.start(settings)
    schema_registry.start(settings)
    cluster.start(settings)


def stop_services(settings: Settings) -> None:
    for name in (cluster.TASKMANAGER, cluster.JOBMANAGER, schema_registry.NAME, broker.NAME):
        ManagedProcess(name, settings).stop()


def measure(settings: Settings, interval: str, rate: float, seconds: float) -> list[Run]:
    """One statement checkpointing every `interval`, `rate` rows a second for `seconds`."""
    suffix = interval.replace(" ", "")
    source, output = f"lat_in_{suffix}", f"lat_out_{suffix}"
    session = Session(settings, lambda message: None)
    session.execute_script(
        f"CREATE TABLE {source} (id BIGINT, sent_ms BIGINT);"
        f"SET 'execution.checkpointing.interval' = '{interval}';"
        f"CREATE TABLE {output} AS SELECT id, sent_ms FROM {source};"
    )
    registry = registry_client(settings.schema_registry_url)
    schema = registry.get_latest_version(f"{source}-value").schema.schema_str
    serialize = AvroSerializer(registry, schema, conf={"auto.register.schemas": False})
    context = SerializationContext(source, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers, "linger.ms": 0})
    readers = {level: Reader(settings, output, level) for level in ISOLATION_LEVELS}
    time.sleep(15)  # the job's first checkpoint; rows before it would measure its start
    count = int(rate * seconds)
    began = time.monotonic()
    for row in range(count):
        time.sleep(max(0.0, began + row / rate - time.monotonic()))
        value = {"id": row, "sent_ms": int(time.time() * 1000)}
        producer.produce(source, serialize(value, context))
        producer.poll(0)
    producer.flush()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and any(len(r.arrived) < count for r in readers.values()):
        time.sleep(0.5)
    runs = []
    for level, reader in readers.items():
        reader.close()
        latencies = np.array(list(reader.arrived.values()))
        runs.append(
            Run(
                interval,
                level,
                len(latencies),
                float(np.percentile(latencies, 50)),
                float(np.percentile(latencies, 95)),
                float(latencies.max()),
            )
        )
    return runs


def render(runs: list[Run], rate: float, seconds: float) -> str:
    rows = [
        (
            r.interval,
            r.isolation,
            f"{r.rows:,}",
            f"{r.p50_ms:,.0f}",
            f"{r.p95_ms:,.0f}",
            f"{r.max_ms:,.0f}",
        )
        for r in runs
    ]
    columns = ["checkpoint interval", "reader", "rows", "p50 ms", "p95 ms", "max ms"]
    return (
        f"One `CREATE TABLE ... AS SELECT *` statement, {rate:.0f} rows/s for {seconds:.0f} s; "
        "latency = when a reader got the row minus when it was sent.\n\n"
        + report.table(columns, rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", action="append", help="checkpoint interval, e.g. '5 s'")
    parser.add_argument("--rate", type=float, default=50.0, help="rows a second")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    intervals = args.interval or [cluster.CHECKPOINT_INTERVAL, "1 s"]
    with tempfile.TemporaryDirectory(prefix="ccflink-latency-") as folder:
        settings = Settings(Path(folder), jars_dir=config.jars_dir(), ports=free_ports())
        try:
            start_services(settings)
            runs = [r for i in intervals for r in measure(settings, i, args.rate, args.seconds)]
        finally:
            stop_services(settings)
    body = render(runs, args.rate, args.seconds)
    print(body)
    if not args.no_report:
        given = sys.argv[1:] if argv is None else argv
        command = report.command_line("benchmarks.commit_latency", given)
        machine = report.machine(["apache-flink", "confluent-kafka"])
        report.write_section(
            SECTION, report.header("### Latest run", command, machine) + "\n" + body
        )


if __name__ == "__main__":
    main()
