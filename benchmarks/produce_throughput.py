"""Producer throughput: synthetic IEEE-CIS rows into a throwaway broker + registry.

Starts Kafka and the Schema Registry on free ports in a temporary state folder, creates the
`transactions` and `identities` topics (6 partitions, as CREATE TABLE does), generates `--rows`
synthetic transactions, produces both files with `producers.produce.produce_dataset` for each
column set asked for, prints records/s per topic and the total seconds, stops both services,
and writes its section of BENCHMARKS.md (see benchmarks/report.py). `make bench` runs it.

    .venv/bin/python -m benchmarks.produce_throughput                # 590,540 rows, as Kaggle's
    .venv/bin/python -m benchmarks.produce_throughput --rows 20000   # a quick run
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks import report
from emulator import config
from emulator.config import Settings
from emulator.kafka import broker
from emulator.kafka.topics import SEVEN_DAYS_MS, create_topic, list_topics
from emulator.ports import free_ports
from emulator.process import ManagedProcess
from emulator.schema_registry import service as registry
from producers.produce import IDENTITIES, TRANSACTIONS, TopicSummary, produce_dataset
from producers.synthetic import generate

PACKAGES = ("confluent-kafka", "pyarrow", "numpy", "fastavro")
PRODUCER = "confluent-kafka + Arrow CSV + batch Avro encoder"


@dataclass(frozen=True)
class ColumnRun:
    """One column set's replay: a summary per topic and the seconds for both."""

    columns: str
    summaries: list[TopicSummary]
    seconds: float

    @property
    def records(self) -> int:
        return sum(s.sent for s in self.summaries)


def _settings(state_dir: Path) -> Settings:
    jars = config.jars_dir()
    return Settings(state_dir=state_dir, jars_dir=jars.resolve(), ports=free_ports())


def run(rows: int, column_sets: list[str], timestamps: str, data: Path | None) -> list[ColumnRun]:
    with tempfile.TemporaryDirectory(prefix="ccflink-bench-") as temp:
        settings = _settings(Path(temp) / "state")
        data_dir = data or Path(temp) / "data"
        if data is None:
            began = time.perf_counter()
            files = generate(rows, data_dir, seed=42)
            print(
                f"generated {files.transactions:,} transactions and {files.identities:,} "
                f"identities in {time.perf_counter() - began:.1f} s"
            )
        services = []
        runs = []
        try:
            services.append(broker.start(settings))
            services.append(registry.start(settings))
            for topic in ("transactions", "identities"):
                create_topic(
                    settings.bootstrap_servers, topic, 6, {"retention.ms": str(SEVEN_DAYS_MS)}
                )
            deadline = time.monotonic() + 30
            while {"transactions", "identities"} - list_topics(settings.bootstrap_servers):
                if time.monotonic() > deadline:
                    raise RuntimeError("the topics did not show up in the broker's metadata")
                time.sleep(0.2)
            for columns in column_sets:
                began = time.perf_counter()
                summaries = produce_dataset(
                    settings.bootstrap_servers,
                    settings.schema_registry_url,
                    data_dir,
                    settings.state_dir / "dead-letters",
                    columns=columns,  # type: ignore[arg-type]
                    timestamps=timestamps,
                    show_progress=False,
                )
                total = time.perf_counter() - began
                records = sum(s.sent for s in summaries)
                print(f"columns={columns} timestamps={timestamps}:")
                for summary in summaries:
                    print(f"  {summary.line()} in {summary.seconds:.1f} s")
                print(f"  total: {records:,} records in {total:.1f} s ({records / total:,.0f}/s)")
                runs.append(ColumnRun(columns, summaries, total))
        finally:
            for service in reversed(services):
                ManagedProcess(service.name, settings).stop()
    return runs


def _width(columns: str) -> str:
    """`pipeline (55 + 41)`: the column set and how many columns each file sends."""
    counts = [len(source.with_columns(columns).columns) for source in (TRANSACTIONS, IDENTITIES)]
    return f"{columns} ({counts[0]} + {counts[1]})"


def render(runs: list[ColumnRun], timestamps: str, command: str) -> str:
    """The section of BENCHMARKS.md: what ran, where, and records per second per topic."""
    first = runs[0].summaries
    rows = [
        [
            PRODUCER,
            _width(run.columns),
            f"{run.summaries[0].rate:,.0f}",
            f"{run.summaries[1].rate:,.0f}",
            f"**{run.seconds:.1f} s** ({run.records / run.seconds:,.0f} records/s; "
            f"{sum(s.bytes for s in run.summaries) / 1e9:.2f} GB)",
        ]
        for run in runs
    ]
    setup = (
        f"{first[0].sent:,} transactions + {first[1].sent:,} identity rows (synthetic twin, seed "
        "42, unless `--data`). acks=all, enable.idempotence=true, linger.ms=50, batch.size=1 MB, "
        f"compression none, timestamps={timestamps}, as fast as possible; broker and registry "
        "share the machine with the producer."
    )
    machine = report.machine(PACKAGES)
    return "\n\n".join(
        [
            report.header("### Latest run", command, machine).rstrip(),
            setup,
            report.table(
                ["producer", "columns", "transactions/s", "identities/s", "both topics"], rows
            ),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=590_540, help="synthetic transactions")
    parser.add_argument(
        "--columns",
        choices=("pipeline", "all", "both"),
        default="both",
        help="the pipeline's column subset, all 394 transaction columns, or both runs",
    )
    parser.add_argument("--timestamps", choices=("wall", "event"), default="wall")
    parser.add_argument("--data", type=Path, help="existing train_*.csv folder (skips generating)")
    parser.add_argument("--report", type=Path, default=report.BENCHMARKS_FILE)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    column_sets = ["pipeline", "all"] if args.columns == "both" else [args.columns]
    runs = run(args.rows, column_sets, args.timestamps, args.data)
    if not args.no_report:
        command = report.command_line("benchmarks.produce_throughput", argv)
        text = render(runs, args.timestamps, command)
        report.write_section("produce_throughput", text, args.report)


if __name__ == "__main__":
    main()
