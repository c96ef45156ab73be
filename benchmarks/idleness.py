"""Rows the pipeline's LEFT interval join emits after a bounded replay, by source idle timeout.

The README's "Differences from Confluent Cloud" quotes these figures. For each `--idle` value
it runs a copy of the pipeline's source tables and join (`pyflink_jobs/sql/01_*`, `02_*`, the
tables prefixed, `sql.tables.scan.idle-timeout` set to the value) on one stack (Kafka, the
Schema Registry and Flink on free ports in a temporary folder), leaves it quiet for `--quiet`
seconds (longer than Confluent's first idle timeout, 15 s), replays `--rows` synthetic
transactions at full speed with event-time record timestamps, as `make up` does, and after
`--settle` seconds counts the join's rows and those with their identity row; then it drains
the join (`ccflink flink statement drain`) and counts again.

    .venv/bin/python -m benchmarks.idleness                       # '0', '15 s' and '5 min'
    .venv/bin/python -m benchmarks.idleness --idle '15 s' --rows 5000
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from common.ieee_cis import IDENTITY_COLUMNS, KEY_COLUMN
from emulator import config, stack
from emulator.config import Settings
from emulator.demo.complete import finish_replay
from emulator.demo.names import JOIN_TABLE
from emulator.demo.pipeline import prefixed_sql, sql_files
from emulator.flink import cluster
from emulator.kafka import broker
from emulator.ports import free_ports
from emulator.results.topic import load_topic
from emulator.schema_registry import service as schema_registry
from emulator.sql.session import Session
from producers.produce import IDENTITIES, TRANSACTIONS, produce_dataset
from producers.synthetic import generate

IDLE_OPTION = re.compile(r"('sql\.tables\.scan\.idle-timeout'\s*=\s*)'[^']*'")
IDENTITY_FIELDS = [c.name for c in IDENTITY_COLUMNS if c.name != KEY_COLUMN]
JOIN_FILES = 2  # 01_source_tables.sql and 02_join.sql


@dataclass(frozen=True)
class Count:
    rows: int  # rows the join emitted
    distinct: int  # distinct transactions among them
    joined: int  # rows with their identity row


@dataclass(frozen=True)
class Run:
    idle: str
    transactions: int
    identities: int
    settled: Count
    drained: Count

    def lines(self, settle: float) -> list[str]:
        return [
            f"idle timeout {self.idle!r}: {self.transactions:,} transactions, "
            f"{self.identities:,} identity rows",
            f"  {settle:.0f} s after the replay: {_text(self.settled)}",
            f"  after draining the join:  {_text(self.drained)}",
        ]


def _text(count: Count) -> str:
    return (
        f"{count.rows:,} rows ({count.distinct:,} transactions), "
        f"{count.joined:,} with their identity row"
    )


def join_sql(prefix: str, idle: str) -> list[tuple[Path, str]]:
    """The pipeline's source tables and join, prefixed, with the join's idle timeout."""
    files = sql_files()[:JOIN_FILES]
    scripts = [(path, prefixed_sql(path.read_text(), prefix)) for path in files]
    join_path, join = scripts[-1]
    with_idle, found = IDLE_OPTION.subn(lambda match: f"{match.group(1)}'{idle}'", join)
    if found != 1:
        raise SystemExit(f"{join_path} no longer sets 'sql.tables.scan.idle-timeout' once")
    return [*scripts[:-1], (join_path, with_idle)]


def count(settings: Settings, topic: str) -> Count:
    rows = load_topic(topic, settings.bootstrap_servers, settings.schema_registry_url, 3.0)
    joined = sum(1 for row in rows if any(row.get(f) is not None for f in IDENTITY_FIELDS))
    return Count(len(rows), len({row[KEY_COLUMN] for row in rows}), joined)


def measure(settings: Settings, data_dir: Path, idle: str, quiet: float, settle: float) -> Run:
    prefix = "idle_" + re.sub(r"\W", "", idle) + "_"
    session = Session(settings, lambda message: None)
    for path, sql in join_sql(prefix, idle):
        list(session.run_script(sql, str(path)))
    time.sleep(quiet)
    transactions, identities = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        data_dir,
        settings.state_dir / "dead-letters",
        sources=tuple(replace(s, topic=prefix + s.topic) for s in (TRANSACTIONS, IDENTITIES)),
        show_progress=False,
        timestamps="event",
    )
    time.sleep(settle)
    settled = count(settings, prefix + JOIN_TABLE)
    finish_replay(settings, lambda message: None, tables=(prefix + JOIN_TABLE,))
    return Run(
        idle, transactions.sent, identities.sent, settled, count(settings, prefix + JOIN_TABLE)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--idle", action="append", help="an idle timeout (repeatable)")
    parser.add_argument("--quiet", type=float, default=20.0, help="seconds before the replay")
    parser.add_argument("--settle", type=float, default=60.0, help="seconds after it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ccflink-idleness-") as folder:
        settings = Settings(Path(folder) / "state", jars_dir=config.jars_dir(), ports=free_ports())
        data_dir = Path(folder) / "data"
        generate(args.rows, data_dir, seed=args.seed)
        try:
            config.save(settings)
            broker.start(settings)
            schema_registry.start(settings)
            cluster.start(settings)
            for idle in args.idle or ["0", "15 s", "5 min"]:
                run = measure(settings, data_dir, idle, args.quiet, args.settle)
                print("\n".join(run.lines(args.settle)), flush=True)
        finally:
            stack.down(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
