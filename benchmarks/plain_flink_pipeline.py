"""The join and features statements through ccflink vs the same SQL on plain open-source Flink.

One stack (Kafka, the registry, the Flink session cluster; no model server), one synthetic set
(seed 11) replayed once with event-time stamps into the source tables that
`01_source_tables.sql` creates. Then, one after the other on the same topics, each side runs
the join and the features statements from the topics' start until its features table holds
every row the watermark lets out: ccflink's unchanged `02_join.sql` and `03_features.sql`
through its dialect and engine, and `benchmarks/plain_flink/pipeline.sql` (the same join and
features as a user of open-source Flink writes them, connector and format spelled out) in a
PyFlink TableEnvironment of its own. Per side: rows/s out of the features statement (first to
last output record timestamp) and the TaskManager JVM's CPU ms per row; the rounds alternate
so that each side also runs on a warm JVM, and the ratio is of the last round's figures. The
output rows are compared TransactionID by TransactionID.

    .venv/bin/python -m benchmarks.plain_flink_pipeline               # as `make bench`
    .venv/bin/python -m benchmarks.plain_flink_pipeline --rows 5000 --rounds 1 --no-report
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pyflink.table import EnvironmentSettings, TableEnvironment

from benchmarks import report
from benchmarks.end_to_end.progress import quiet, say
from benchmarks.end_to_end.traffic import replay
from benchmarks.plain_flink.figures import Ratio, SideRun
from benchmarks.plain_flink.statements import (
    OUTPUTS,
    PLAIN_OPTIONS,
    ccflink_script,
    plain_for,
)
from benchmarks.quix.compare import Comparison, Predictions, compare, read_predictions
from benchmarks.stack_probes import cpu_seconds
from benchmarks.topics import Topic, wait_for_records
from common.avro.decoder import AvroDecoder
from common.registry import registry_client
from emulator import config, stack
from emulator.catalog import DEFAULT_PARTITIONS, Catalog
from emulator.config import Settings
from emulator.demo.pipeline import sql_files
from emulator.flink.cluster import TASKMANAGER, connector_jars
from emulator.flink.rest import FlinkRest
from emulator.kafka.topics import create_topic
from emulator.ports import free_ports
from emulator.sql.session import Session
from producers.synthetic import generate

PACKAGES = ("apache-flink", "confluent-kafka")
TASKMANAGER_JVM = f"{TASKMANAGER} (JVM)"
FEATURES = OUTPUTS[1]
CCFLINK, PLAIN = "ccflink", "plain Flink"
Submit = Callable[[str], list[str]]  # a round's table prefix -> the job ids it started


def _interrupt(_signal: int, _frame: object) -> None:
    """SIGTERM as Ctrl-C, so the stack is stopped on the way out."""
    raise KeyboardInterrupt


def plain_environment(settings: Settings) -> TableEnvironment:
    """A TableEnvironment as a user of open-source Flink sets one up for a remote session
    cluster: its address, the connector jars, one slot per job as ccflink's, and
    PLAIN_OPTIONS."""
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    configuration = t_env.get_config()
    configuration.set("execution.target", "remote")
    configuration.set("rest.address", settings.host)
    configuration.set("rest.port", str(settings.ports.flink_rest))
    configuration.set("pipeline.jars", ";".join(p.as_uri() for p in connector_jars(settings)))
    configuration.set("parallelism.default", "1")
    for key, value in PLAIN_OPTIONS.items():
        configuration.set(key, value)
    return t_env


def plain_submit(settings: Settings, t_env: TableEnvironment) -> Submit:
    """Runs pipeline.sql: its sink topics created first (Flink's Kafka sink does not)."""

    def submit(prefix: str) -> list[str]:
        for table in OUTPUTS:
            create_topic(settings.bootstrap_servers, prefix + table, DEFAULT_PARTITIONS)
        jobs = []
        for statement in plain_for(settings, prefix):
            client = t_env.execute_sql(statement).get_job_client()
            if client is not None:
                jobs.append(str(client.get_job_id()))
        return jobs

    return submit


def ccflink_submit(session: Session) -> Submit:
    def submit(prefix: str) -> list[str]:
        results = session.execute_script(ccflink_script(prefix), "02_join.sql + 03_features.sql")
        return [result.job_id for result in results if result.job_id]

    return submit


def features_columns(settings: Settings) -> list[str]:
    """The features table's columns, as ccflink's first round created it (it runs first)."""
    entry = Catalog.for_state(settings.state_dir).tables[f"ccflink1_{FEATURES}"]
    return [column.name for column in entry.columns if column.physical]


def run_side(
    settings: Settings,
    side: str,
    number: int,
    submit: Submit,
    expected: int,
    decode: AvroDecoder,
) -> tuple[SideRun, Predictions]:
    """One round of one side: submit, wait for the features rows, read them by TransactionID,
    cancel the jobs."""
    prefix = f"{side.split()[0].lower()}{number}_"
    say(f"==> round {number}, {side}: join and features from the topics' start")
    before = cpu_seconds(settings)[TASKMANAGER_JVM]
    last = [before]
    jobs = submit(prefix)

    def mark(_count: int) -> None:
        last[0] = cpu_seconds(settings)[TASKMANAGER_JVM]

    topic = Topic(settings, prefix + FEATURES)
    try:
        wait_for_records(topic, expected, startup_seconds=180, on_change=mark)
        rows = read_predictions(topic, decode, features_columns(settings))
    finally:
        topic.close()
    rest = FlinkRest(settings.flink_rest_url)
    for job in jobs:
        rest.cancel(job)
    run = SideRun(side, number, len(rows.values), rows.first_ms, rows.last_ms, last[0] - before)
    return run, rows


@dataclass(frozen=True)
class Result:
    replayed: int
    runs: list[SideRun]
    comparison: Comparison  # the last round's features rows, ccflink's against plain Flink's

    def last(self, side: str) -> SideRun:
        return [run for run in self.runs if run.side == side][-1]


def _rounds(settings: Settings, data_dir: Path, rounds: int) -> Result:
    """The source tables, the replay, then each round: ccflink's side, plain Flink's side."""
    session = Session(settings, quiet)
    session.execute_script(sql_files()[0].read_text(), "01_source_tables.sql")
    say("==> the set replayed into transactions and identities (event-time stamps)")
    replayed, _identities = replay(settings, data_dir, timestamps="event")
    decode = AvroDecoder.of_registry(registry_client(settings.schema_registry_url))
    sides = {
        CCFLINK: ccflink_submit(session),
        PLAIN: plain_submit(settings, plain_environment(settings)),
    }
    runs, outputs = [], {}
    for number in range(1, rounds + 1):
        for side, submit in sides.items():
            run, outputs[side] = run_side(settings, side, number, submit, replayed, decode)
            runs.append(run)
    return Result(replayed, runs, compare(outputs[CCFLINK], outputs[PLAIN]))


def measure(rows: int, rounds: int) -> Result:
    """A stack of its own on free ports (no model server), stopped whatever happens."""
    with tempfile.TemporaryDirectory(prefix="ccflink-bench-plain-") as temp:
        folder = Path(temp)
        say(f"==> generating {rows:,} synthetic transactions (seed 11, as the pipeline's)")
        data = generate(rows, folder / "data", seed=11)
        settings = Settings(folder / "state", jars_dir=config.jars_dir(), ports=free_ports())
        say("==> up: Kafka, the registry, Flink")
        try:
            stack.up(settings, say=quiet, model_server=False)
            return _rounds(settings, data.transaction_path.parent, rounds)
        finally:
            stack.down(settings)


def render(result: Result, command: str, machine: str) -> str:
    """The section: each round's figures, the ratio of the last round's, the rows compared."""
    ccflink, plain = result.last(CCFLINK), result.last(PLAIN)
    ratio = Ratio.of(ccflink, plain)
    rows = [
        [
            f"round {run.round}: {run.side}",
            f"{run.rows:,}",
            f"{run.rows_per_second:,.0f}",
            f"{run.taskmanager_cpu_seconds:.1f}",
            f"{run.cpu_ms_per_row:.3f}",
        ]
        for run in result.runs
    ]
    comparison = result.comparison
    same = (
        "**the same rows**"
        if comparison.identical
        else f"**not the same rows**: {len(comparison.differing):,} differ, "
        f"{len(comparison.only_first):,} only from ccflink, "
        f"{len(comparison.only_second):,} only from plain Flink"
    )
    return "\n".join(
        [
            report.header(
                "### The join and features statements: ccflink vs plain open-source Flink",
                command,
                machine,
            ),
            f"{result.replayed:,} synthetic transactions replayed once into the source tables; "
            "each round runs ccflink's `02_join.sql` + `03_features.sql`, then "
            "`benchmarks/plain_flink/pipeline.sql`, from the topics' start.",
            "",
            report.table(
                [
                    "run",
                    "rows out of features",
                    "rows/s (first to last output record)",
                    "TaskManager JVM CPU seconds",
                    "CPU ms per row",
                ],
                rows,
            ),
            "",
            f"**ccflink / plain Flink, round {ccflink.round}: {ratio.rate:.2f}x the rate** "
            f"({ccflink.rows_per_second:,.0f} vs {plain.rows_per_second:,.0f} rows/s) "
            f"**and {ratio.cpu:.2f}x the TaskManager CPU per row** ({ccflink.cpu_ms_per_row:.3f} "
            f"vs {plain.cpu_ms_per_row:.3f} ms).",
            "",
            f"Features rows of round {ccflink.round} compared by TransactionID, every column: "
            f"{comparison.both:,} from both sides, {same}. Others' work shared the machine "
            "(load average above).",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="transactions replayed")
    parser.add_argument(
        "--rounds", type=int, default=2, help="rounds of both sides, alternating (default 2)"
    )
    parser.add_argument("--report", type=Path, default=report.BENCHMARKS_FILE)
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    command = report.command_line("benchmarks.plain_flink_pipeline", argv)
    machine = report.machine(PACKAGES)  # the load before the run, not after it
    text = render(measure(args.rows, args.rounds), command, machine)
    print(text, flush=True)
    if not args.no_report:
        report.write_section("plain_flink_pipeline", text, args.report)


if __name__ == "__main__":
    main()
