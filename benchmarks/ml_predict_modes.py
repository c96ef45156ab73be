"""ML_PREDICT's Python function, each way PyFlink 2.2 can run it: rows/s and CPU ms per row.

One stack (free ports, a temporary folder) runs the pipeline's SQL up to the features table,
without its scoring statement, and N synthetic transactions are replayed into it. Then, one
after the other on the same feature rows, one scoring job per mode reads the features table
from its start and writes its own output table:

- `process` (today's path): `pyflink_jobs/sql/05_predictions.sql` as it is, with its output
  table renamed: the table function in the TaskManager's Python worker processes, fed by
  Beam's runner over gRPC, one `requests` call per row, 4 subtasks;
- `process-bundles`: the same with larger bundles (`python.fn-execution.bundle.size`,
  `bundle.time`): fewer flushes between the JVM and the worker;
- `thread`: the same statement after `SET 'python.execution-mode' = 'thread'`: the function
  runs inside the TaskManager's JVM (pemja), no worker process, no gRPC;
- `async-pN-cM`: PyFlink's asynchronous function (DataStream API only, so a job built by
  hand, `benchmarks/ml_modes/async_job.py`) with an async HTTP client on kept-alive
  connections, N subtasks, M requests in flight per subtask, unordered output;
- `jvm`: no Python at all: open-source Flink's own `ML_PREDICT(TABLE ..., MODEL ...)` with the
  JVM `azureml` model provider prototype (`emulator/flink/azureml-provider`), plain Flink SQL
  beside the dialect (`benchmarks/ml_modes/jvm_job.py`), 4 subtasks x 10 requests in flight.

Every mode's predictions are compared with `process` mode's, row by row.

Rate and CPU from the job's first request (the model server, idle before, gets busy) to its
last output record (the timestamp Flink's Kafka sink gives it): the TaskManager's JVM and
Python workers and the model server, sampled every 0.5 s, per scored row. Not from the first
output: a mode that sends its results in large bundles outputs its first row long after it
began working.

    .venv/bin/python -m benchmarks.ml_predict_modes                     # 20,000 rows, all modes
    .venv/bin/python -m benchmarks.ml_predict_modes --rows 3000 --mode thread --no-report
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import report
from benchmarks.commit_latency import start_services, stop_services
from benchmarks.end_to_end.progress import quiet, say
from benchmarks.end_to_end.traffic import replay
from benchmarks.ml_modes.async_job import KEPT, submit_async
from benchmarks.ml_modes.jvm_job import submit_jvm
from benchmarks.ml_modes.measure import ModeFigures, figures, measure
from benchmarks.quix.compare import Predictions, compare, read_predictions
from benchmarks.stack_probes import job_tables
from benchmarks.topics import Topic, wait_for_records
from common.avro.decoder import AvroDecoder
from common.registry import registry_client
from emulator import config, model_endpoint
from emulator.catalog import Catalog
from emulator.config import PROJECT_ROOT, Settings
from emulator.demo.model import ensure_model
from emulator.demo.names import FEATURES_TABLE, MODEL_NAME, PREDICTIONS_TOPIC
from emulator.demo.pipeline import run_pipeline
from emulator.flink.rest import FlinkRest
from emulator.ports import free_ports
from emulator.process import ManagedProcess
from emulator.sql.session import Session
from producers.synthetic import generate
from pyflink_jobs import PIPELINE_SQL_DIR
from pyflink_jobs.ml_predict import METRIC_GROUP

SECTION = "ml-predict-modes"
GOAL = 1_000.0  # scored rows/s, Confluent-faithful (issue 14)
SCORING_SQL = PIPELINE_SQL_DIR / "05_predictions.sql"
# The JVM's embedded interpreter is the base Python, without the venv's site-packages or the
# editable install's .pth finder: both are put on its path.
EMBEDDED_PATH = f"{sysconfig.get_paths()['purelib']}:{PROJECT_ROOT}"


@dataclass(frozen=True)
class Mode:
    name: str
    how: str
    options: dict[str, str] = field(default_factory=dict)  # SET before the statement
    async_subtasks: int = 0  # > 0: the hand-built asynchronous job instead of the statement
    in_flight: int = 1
    jvm_subtasks: int = 0  # > 0: Flink's own ML_PREDICT with the JVM provider instead


MODES = (
    Mode("process", "today: worker processes, Beam over gRPC, `requests`, 4 subtasks"),
    Mode(
        "process-bundles",
        "as `process`, bundles of up to 100,000 rows or 10 s",
        {"python.fn-execution.bundle.size": "100000", "python.fn-execution.bundle.time": "10000"},
    ),
    Mode(
        "thread",
        "`python.execution-mode: thread`: in the TaskManager JVM (pemja), 4 subtasks",
        {"python.execution-mode": "thread", "python.pythonpath": EMBEDDED_PATH},
    ),
    Mode("async-p1-c10", "async DataStream function, httpx2, 1 subtask x 10 in flight", {}, 1, 10),
    Mode("async-p4-c10", "async DataStream function, httpx2, 4 subtasks x 10 in flight", {}, 4, 10),
    Mode(
        "jvm",
        "Flink's own ML_PREDICT, JVM `azureml` provider (java.net.http), 4 subtasks x 10 in flight",
        in_flight=10,
        jvm_subtasks=4,
    ),
)
BASELINE = "process"  # the mode every other's predictions are compared with


def _interrupt(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def start_stack(settings: Settings) -> None:
    """Kafka, the registry, Flink and the model server, and the pipeline's statements."""
    ensure_model(settings, say=quiet)
    start_services(settings)
    model_endpoint.start(settings, None, quiet)
    run_pipeline(settings, say=quiet)


def stop_stack(settings: Settings) -> None:
    ManagedProcess(model_endpoint.NAME, settings).stop()
    stop_services(settings)


def prepare(settings: Settings, folder: Path, rows: int) -> int:
    """The features table filled from `rows` transactions, with nothing else scoring; how
    many feature rows it holds."""
    rest = FlinkRest(settings.flink_rest_url)
    for job, table in job_tables(settings).items():
        if table == PREDICTIONS_TOPIC:
            rest.cancel(job)
    data = generate(rows, folder / "data", seed=11)
    say(f"==> replaying {rows:,} transactions to fill `{FEATURES_TABLE}`")
    replay(settings, data.transaction_path.parent, timestamps="event")
    features = Topic(settings, FEATURES_TABLE)
    count = wait_for_records(features, rows, idle_seconds=20)
    features.close()
    return count


def _job_writing(settings: Settings, table: str) -> str:
    return next(job for job, name in job_tables(settings).items() if name == table)


def start_statement(settings: Settings, mode: Mode, output: str) -> str:
    """05_predictions.sql with its output renamed, after the mode's SET options; its job."""
    sets = "".join(f"SET '{key}' = '{value}';\n" for key, value in mode.options.items())
    sql = re.sub(rf"\b{PREDICTIONS_TOPIC}\b", output, SCORING_SQL.read_text())
    for result in Session(settings, quiet).run_script(sets + sql, SCORING_SQL.name):
        say(f"  [{result.name}] {result.message}")
    return _job_writing(settings, output)


def create_output(settings: Settings, output: str) -> None:
    """The output table as the scoring statement would make it."""
    catalog = Catalog.for_state(settings.state_dir)
    kept = {c.name: c.type for c in catalog.tables[FEATURES_TABLE].columns}
    outputs = catalog.models[MODEL_NAME].get(None).outputs
    columns = [f"`{name}` {kept[name]}" for name in KEPT] + [
        f"`{o.name}` {o.type}" for o in outputs
    ]
    list(Session(settings, quiet).run_script(f"CREATE TABLE {output} ({', '.join(columns)});"))


def start_async(settings: Settings, mode: Mode, output: str) -> str:
    """The output table, and the hand-built asynchronous job into it."""
    create_output(settings, output)
    return submit_async(
        settings, FEATURES_TABLE, output, MODEL_NAME, mode.async_subtasks, mode.in_flight
    )


def start_jvm(settings: Settings, mode: Mode, output: str) -> str:
    """The output table, and Flink's own ML_PREDICT with the JVM provider into it."""
    create_output(settings, output)
    return submit_jvm(
        settings, FEATURES_TABLE, output, MODEL_NAME, KEPT, mode.jvm_subtasks, mode.in_flight
    )


def _starter(mode: Mode) -> Callable[[Settings, Mode, str], str]:
    if mode.jvm_subtasks:
        return start_jvm
    return start_async if mode.async_subtasks else start_statement


def counted_requests(rest: FlinkRest, job: str) -> float:
    """The function's own request counter, as `statement describe` reads it (nan: none).

    Flink's REST API fetches metrics when asked and at most every 10 s, so the first asks
    may find none yet.
    """
    for _ in range(8):
        found = rest.metrics(job, METRIC_GROUP).get(f"{MODEL_NAME}.requests")
        if found:
            return found
        time.sleep(2)
    return float("nan")


def run_mode(
    settings: Settings, mode: Mode, expected: int, decode: AvroDecoder
) -> tuple[ModeFigures, Predictions]:
    """The mode's figures, and its predictions read back from its output table."""
    output = "scores_" + mode.name.replace("-", "_")
    say(f"==> {mode.name}: {mode.how}")
    job = _starter(mode)(settings, mode, output)
    rest = FlinkRest(settings.flink_rest_url)
    try:
        scored, rate, used = measure(settings, mode.name, output, expected, decode)
        counted = counted_requests(rest, job)
    finally:
        failure = rest.failure(job)
        rest.cancel(job)
    if failure:
        say(f"  the job failed: {failure}")
    result = figures(mode.name, scored, rate, used, counted)
    say(
        f"  {scored:,} scored, {rate:,.0f}/s (goal {GOAL:,.0f}); CPU ms per row: TaskManager "
        f"{result.taskmanager_ms:.2f} (Python workers {result.python_ms:.2f}), model server "
        f"{result.model_server_ms:.2f}"
    )
    outputs = [
        o.name for o in Catalog.for_state(settings.state_dir).models[MODEL_NAME].get(None).outputs
    ]
    topic = Topic(settings, output)
    try:
        return result, read_predictions(topic, decode, outputs)
    finally:
        topic.close()


def agreement(mode: str, predictions: dict[str, Predictions]) -> str:
    """How a mode's predictions compare with the baseline's, row by row."""
    if mode == BASELINE:
        return "(the baseline)"
    if BASELINE not in predictions:
        return f"not compared (`{BASELINE}` not run)"
    found = compare(predictions[BASELINE], predictions[mode])
    if found.identical:
        return f"identical, all {found.both:,}"
    return (
        f"{len(found.differing):,} of {found.both:,} differ; {len(found.only_first):,} only in "
        f"`{BASELINE}`, {len(found.only_second):,} only here"
    )


def render(
    results: list[ModeFigures],
    modes: dict[str, Mode],
    features: int,
    predictions: dict[str, Predictions],
) -> str:
    rows = [
        (
            f"`{r.mode}`",
            modes[r.mode].how,
            f"{r.scored:,}",
            f"**{r.rate:,.0f}**",
            "met" if r.rate >= GOAL else "missed",
            f"{r.taskmanager_ms:.2f}",
            f"{r.python_ms:.2f}",
            f"{r.model_server_ms:.2f}",
            f"{r.taskmanager_ms + r.model_server_ms:.2f}",
            "none reported" if r.requests != r.requests else f"{r.requests:,.0f}",
            agreement(r.mode, predictions),
        )
        for r in results
    ]
    columns = [
        "mode",
        "how it runs",
        "scored",
        "rows/s",
        f"goal {GOAL:,.0f}/s",
        "TaskManager CPU ms/row",
        "of which Python workers",
        "model server CPU ms/row",
        "both",
        "function's request counter (REST, up to 10 s old)",
        f"predictions vs `{BASELINE}`",
    ]
    return (
        f"{features:,} feature rows (the pipeline's `{FEATURES_TABLE}`), scored by one job per "
        "mode, one after the other on one stack; one row per request (`AZUREML-PANDAS-DATAFRAME` "
        "in, `JSON-ARRAY` out). Rate and CPU: from the job's first request to its last output "
        "row.\n\n" + report.table(columns, rows)
    )


def section_name(chosen: list[Mode]) -> str:
    """All modes rewrite the modes' section; a subset (`--mode`) one of its own, so it does
    not drop the others' figures."""
    if len(chosen) == len(MODES):
        return SECTION
    return "-".join([SECTION, *(m.name for m in chosen)])


def main(argv: list[str] | None = None) -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="transactions replayed")
    parser.add_argument(
        "--mode", action="append", choices=[m.name for m in MODES], help="default: all"
    )
    parser.add_argument("--no-report", action="store_true", help="print only")
    args = parser.parse_args(argv)
    chosen = [m for m in MODES if not args.mode or m.name in args.mode]
    machine = report.machine(["apache-flink", "pemja", "httpx2", "requests"])
    with tempfile.TemporaryDirectory(prefix="ccflink-ml-modes-") as temp:
        say("==> up (model, services, pipeline SQL)")
        settings = Settings(Path(temp) / "state", jars_dir=config.jars_dir(), ports=free_ports())
        try:
            start_stack(settings)
            features = prepare(settings, Path(temp), args.rows)
            decode = AvroDecoder.of_registry(registry_client(settings.schema_registry_url))
            runs = {m.name: run_mode(settings, m, features, decode) for m in chosen}
        finally:
            stop_stack(settings)
    results = [result for result, _ in runs.values()]
    predictions = {name: found for name, (_, found) in runs.items()}
    body = render(results, {m.name: m for m in MODES}, features, predictions)
    print(body)
    if not args.no_report:
        command = report.command_line("benchmarks.ml_predict_modes", argv)
        report.write_section(
            section_name(chosen), report.header("### Latest run", command, machine) + "\n" + body
        )


if __name__ == "__main__":
    main()
