"""`ccflink`: one command line over the local stack, its data and its SQL.

Command words follow the `confluent` CLI where one exists (`flink connection create`); the
rest (`up`, `down`, `status`, `logs`, `sql`, `data generate`, `produce`) are the emulator's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

from emulator import config, stack
from emulator.catalog import Catalog, Connection
from emulator.config import Settings
from emulator.process import ManagedProcess, ServiceError
from emulator.profiles import PROFILE_ENV, ProfileError, load_profile

DEMO_ROWS = 10_000
DEMO_SEED = 42


def _say(message: str) -> None:
    print(message, flush=True)


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    stack.up(settings, _say)
    _say(f"Stack ready in {time.monotonic() - started:.0f} s.")
    if args.demo:
        run_demo(settings, args, started)
    _say("\nThe stack keeps running. `ccflink status` shows it; stop it with `make down`.")
    return 0


def _add_ml_batch_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ml-batch-size",
        type=int,
        default=1,
        metavar="ROWS",
        help="local extension: rows per ML_PREDICT request (default 1, as Confluent sends); "
        "the same as SET 'ccflink.ml-predict.batch-size'",
    )


def _replay_options(args: argparse.Namespace) -> dict:
    return {
        "split": args.split,
        "columns": args.columns,
        "timestamps": args.timestamps,
        "speedup": args.speedup,
    }


def run_demo(settings: Settings, args: argparse.Namespace, up_started: float) -> None:
    from producers.produce import produce_dataset
    from producers.synthetic import generate
    from pyflink_jobs.pipeline import (
        PREDICTIONS_TOPIC,
        ArrivalWatch,
        run_pipeline,
        watch_predictions,
    )

    catalog = Catalog.for_state(settings.state_dir)
    if PREDICTIONS_TOPIC in catalog.tables:
        _say("==> Pipeline statements already ran in this state folder; not submitting again")
    else:
        run_pipeline(settings, _say, ml_batch_size=args.ml_batch_size)
    rows, data_dir = args.rows, args.data
    if data_dir is None:
        data_dir = settings.data_dir / f"synthetic-{rows}-seed{DEMO_SEED}"
        if not (data_dir / "train_identity.csv").exists():
            _say(f"==> Generating {rows:,} synthetic IEEE-CIS transactions into {data_dir}")
            generate(rows, data_dir, seed=DEMO_SEED)
    _say(f"==> Producing {data_dir} to topics transactions and identities")
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        data_dir,
        settings.state_dir / "dead-letters",
        **_replay_options(args),
    )
    for summary in summaries:
        _say(f"  {summary.line()}")
    transactions = summaries[0].sent
    _say(f"==> Predictions from topic {PREDICTIONS_TOPIC} as they arrive")
    watch = ArrivalWatch(expected=transactions)
    if sys.stdout.isatty() and not args.no_top:
        _watch_live(settings, watch)
        _say(f"{watch.count:,} predictions for {transactions:,} transactions.")
    else:
        stats = watch_predictions(settings, watch, say=_say)
        _say(f"{stats.line()} for {transactions:,} transactions.")
    if watch.first_arrival is not None:
        _say(f"First prediction {watch.first_arrival - up_started:.0f} s after `up` started.")
    if watch.count < transactions:
        _say(
            "  The rest are the latest transactions without an identity row: a LEFT interval "
            "join emits them once the watermark passes their window, and the watermark waits "
            "for newer records on every partition of both topics (as on Confluent Cloud)."
        )
    _say_model_quality(settings)


def _say_model_quality(settings: Settings) -> None:
    """An ML_EVALUATE-style summary of the predictions against the transactions' isFraud."""
    from emulator.compare import load_topic
    from emulator.evaluate import evaluate, format_metrics
    from pyflink_jobs.pipeline import PREDICTIONS_TOPIC

    rows = load_topic(
        PREDICTIONS_TOPIC, settings.bootstrap_servers, settings.schema_registry_url, 2.0
    )
    _say(format_metrics(evaluate(rows), title=f"==> Model quality on {PREDICTIONS_TOPIC}"))


def _watch_live(settings: Settings, watch) -> None:
    """The live view (`ccflink top`) until `watch` is done."""
    from emulator.live_view import run_top
    from pyflink_jobs.pipeline import PREDICTIONS_TOPIC

    def done(snapshot) -> bool:
        topic = snapshot.topics.get(PREDICTIONS_TOPIC)
        watch.seen(topic.total if topic is not None and topic.total is not None else 0)
        return watch.done()

    run_top(settings, until=done)


def cmd_top(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.live_view import run_top

    return run_top(settings, interval=args.interval, duration=args.duration)


def cmd_down(settings: Settings, _args: argparse.Namespace) -> int:
    stopped = stack.down(settings)
    _say(f"Stopped: {', '.join(stopped)}" if stopped else "Nothing was running.")
    return 0


def cmd_status(settings: Settings, _args: argparse.Namespace) -> int:
    rows = stack.status(settings)
    _say(f"{'service':<18} {'state':<10} {'pid':>8} {'memory':>9}  address")
    for row in rows:
        state = "healthy" if row.healthy else ("unhealthy" if row.running else "stopped")
        memory = f"{row.memory_bytes / 2**20:,.0f} MB" if row.running else "-"
        _say(f"{row.name:<18} {state:<10} {row.pid or '-':>8} {memory:>9}  {row.address}")
    total = sum(r.memory_bytes for r in rows)
    _say(f"{'total':<18} {'':<10} {'':>8} {total / 2**20:>6,.0f} MB")
    _say(f"state folder: {settings.state_dir}")
    return 0 if all(r.healthy for r in rows) else 1


def cmd_logs(settings: Settings, args: argparse.Namespace) -> int:
    if args.service not in stack.SERVICE_NAMES:
        _say(f"unknown service {args.service!r}; one of: {', '.join(stack.SERVICE_NAMES)}")
        return 2
    log = ManagedProcess(args.service, settings).log_file
    if not log.exists():
        _say(f"no log yet at {log}")
        return 1
    command = ["tail", "-n", str(args.lines)] + (["-f"] if args.follow else []) + [str(log)]
    return subprocess.call(command)


def cmd_sql(settings: Settings, args: argparse.Namespace) -> int:
    from pyflink_jobs.session import ConfluentSession

    files = [*args.file, *args.files]
    if not files:
        _say("nothing to run: give SQL files (ccflink sql -f FILE)")
        return 2
    session = ConfluentSession(settings, _say, ml_batch_size=args.ml_batch_size)
    for path in files:
        session.execute_file(Path(path))
    return 0


def _statements(settings: Settings):
    from emulator.flink.rest import FlinkRest

    return Catalog.for_state(settings.state_dir), FlinkRest(settings.flink_rest_url)


def cmd_statement_list(settings: Settings, _args: argparse.Namespace) -> int:
    from emulator.statement_status import refresh
    from pyflink_jobs.session import format_rows

    catalog, rest = _statements(settings)
    rows = [
        (r.name, r.status, r.created_at, " ".join(r.sql.split())[:60])
        for r in refresh(catalog, rest)
    ]
    _say(format_rows(["Name", "Status", "Created", "Statement"], rows))
    return 0


def cmd_statement_describe(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.statement_status import refresh

    catalog, rest = _statements(settings)
    refresh(catalog, rest)
    record = catalog.statements.get(args.name)
    if record is None:
        _say(f"statement {args.name!r} does not exist; `ccflink flink statement list`")
        return 1
    for label, value in (
        ("Name", record.name),
        ("Status", record.status),
        ("Created", record.created_at),
        ("Flink job", record.job_id or "-"),
        ("Detail", record.detail or "-"),
        ("Statement", record.sql),
    ):
        _say(f"{label:<10} {value}")
    if record.job_id and "ML_PREDICT" in record.sql.upper():
        _say_model_calls(rest, record.job_id)
    return 0


def _say_model_calls(rest, job_id: str) -> None:
    """ML_PREDICT's counters from Flink's metrics: requests, retries, failures, latency."""
    from pyflink_jobs.ml_predict import METRIC_GROUP

    try:
        metrics = rest.metrics(job_id, METRIC_GROUP)
    except OSError:
        return  # the cluster is gone; the statement's record above still stands
    for name, value in sorted(metrics.items()):
        if not name.endswith(("latency_ms_sum", "latency_ms_count")):
            _say(f"{'Model':<10} {name} = {value:,.0f}")
    for model in sorted({n.split(".", 1)[0] for n in metrics}):
        count = metrics.get(f"{model}.latency_ms_count", 0.0)
        if count:
            mean = metrics[f"{model}.latency_ms_sum"] / count
            _say(f"{'Model':<10} {model}.latency_ms mean = {mean:.1f} over {count:,.0f} calls")


def cmd_statement_stop(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.statement_status import delete, stop

    catalog, rest = _statements(settings)
    try:
        if args.statement_command == "delete":
            delete(catalog, rest, args.name)
            _say(f"Deleted statement {args.name!r}.")
        else:
            record = stop(catalog, rest, args.name)
            _say(f"Statement {args.name!r}: {record.status}.")
    except KeyError as error:
        _say(str(error.args[0]))
        return 1
    return 0


def cmd_generate(_settings: Settings, args: argparse.Namespace) -> int:
    from producers.synthetic import generate

    files = generate(args.rows, Path(args.out), seed=args.seed)
    _say(f"wrote {files.transaction_path} and {files.identity_path}")
    return 0


def cmd_produce(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.kafka.login import check_login
    from producers.produce import produce_dataset

    if settings.profile is not None:
        check_login(settings.bootstrap_servers, settings.kafka_security)
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        Path(args.data),
        settings.state_dir / "dead-letters",
        **_replay_options(args),
        client_config=settings.kafka_security,
        registry_auth=settings.registry_auth,
    )
    for summary in summaries:
        _say(summary.line())
    if any(s.interrupted for s in summaries):
        return 130
    return 0 if all(s.failed == 0 for s in summaries) else 1


def _add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--split",
        choices=["train", "test"],
        help="which Kaggle files (default: train_* if present)",
    )
    parser.add_argument(
        "--columns",
        choices=["pipeline", "all"],
        default="pipeline",
        help="the pipeline's columns (default) or all 394",
    )
    parser.add_argument(
        "--timestamps",
        choices=["wall", "event"],
        default="wall",
        help="record time: wall clock at send (default, as the cloud demo) or from TransactionDT",
    )
    parser.add_argument(
        "--speedup", type=float, help="replay TransactionDT gaps in real time divided by this"
    )


def cmd_connection_create(settings: Settings, args: argparse.Namespace) -> int:
    catalog = Catalog.for_state(settings.state_dir)
    if args.name in catalog.connections:
        _say(f"error: connection {args.name!r} already exists; `update` changes its key")
        return 1
    catalog.connections[args.name] = Connection(
        name=args.name,
        type=args.type.lower(),
        endpoint=args.endpoint,
        api_key=args.api_key,
        cloud=args.cloud,
        region=args.region,
    )
    catalog.save()
    _say(f"Created connection {args.name!r} ({args.type}, {args.endpoint}).")
    return 0


def _connection(settings: Settings, name: str) -> tuple[Catalog, Connection | None]:
    catalog = Catalog.for_state(settings.state_dir)
    connection = catalog.connections.get(name)
    if connection is None:
        _say(f"error: connection {name!r} does not exist; `ccflink flink connection list`")
    return catalog, connection


def cmd_connection_list(settings: Settings, args: argparse.Namespace) -> int:
    from pyflink_jobs.session import format_rows

    catalog = Catalog.for_state(settings.state_dir)
    rows = [
        (c.name, c.type.upper(), c.endpoint, c.cloud or "", c.region or "")
        for c in sorted(catalog.connections.values(), key=lambda c: c.name)
        if args.type is None or c.type == args.type.lower()
    ]
    _say(format_rows(["Name", "Type", "Endpoint", "Cloud", "Region"], rows))
    return 0


def cmd_connection_describe(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.catalog_commands import mask

    _, connection = _connection(settings, args.name)
    if connection is None:
        return 1
    for label, value in (
        ("Name", connection.name),
        ("Type", connection.type.upper()),
        ("Endpoint", connection.endpoint),
        ("Cloud", connection.cloud or "-"),
        ("Region", connection.region or "-"),
        ("API key", mask(connection.api_key)),
    ):
        _say(f"{label:<9} {value}")
    return 0


def cmd_connection_update(settings: Settings, args: argparse.Namespace) -> int:
    catalog, connection = _connection(settings, args.name)
    if connection is None:
        return 1
    connection.api_key = args.api_key
    catalog.save()
    _say(f"Updated the API key of connection {args.name!r}.")
    return 0


def cmd_connection_delete(settings: Settings, args: argparse.Namespace) -> int:
    catalog, connection = _connection(settings, args.name)
    if connection is None:
        return 1
    del catalog.connections[args.name]
    catalog.save()
    _say(f"Deleted connection {args.name!r}.")
    return 0


def cmd_api_key_create(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.kafka import security

    key, secret = security.create_api_key(settings, args.service_account, args.resource)
    _say(f"API Key    | {key}\nAPI Secret | {secret}\n(the secret is shown this once)")
    _say(
        f"bootstrap.servers={security.sasl_bootstrap_servers(settings)} "
        f"security.protocol=SASL_PLAINTEXT sasl.mechanism={security.MECHANISM}"
    )
    return 0


def cmd_api_key_list(settings: Settings, _args: argparse.Namespace) -> int:
    from emulator.kafka import security
    from pyflink_jobs.session import format_rows

    keys = security.list_api_keys(settings)
    columns = list(keys[0]) if keys else ["key", "service_account", "resource", "created"]
    _say(format_rows(columns, [tuple(k.values()) for k in keys]))
    return 0


def cmd_api_key_delete(settings: Settings, args: argparse.Namespace) -> int:
    from emulator.kafka import security

    security.delete_api_key(settings, args.key)
    _say(f"Deleted API key {args.key!r}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ccflink", description=__doc__)
    parser.add_argument(
        "--profile",
        default=os.environ.get(PROFILE_ENV) or None,
        help="another cluster's client configuration (a name in the profiles folder, or a "
        f".properties file; env {PROFILE_ENV}); default: this machine's stack",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start Kafka, Schema Registry, Flink, the model server")
    up.add_argument("--demo", action="store_true", help="then run the pipeline and replay data")
    up.add_argument("--rows", type=int, default=DEMO_ROWS, help="synthetic transactions to replay")
    up.add_argument("--data", type=Path, help="folder with the Kaggle train_*.csv files instead")
    up.add_argument(
        "--no-top", action="store_true", help="scrolling lines instead of the live view"
    )
    _add_replay_arguments(up)
    _add_ml_batch_argument(up)
    up.set_defaults(handler=cmd_up)
    top = commands.add_parser(
        "top",
        help="live view: records per topic, rows joined, predictions, fraud rate, latency, errors",
    )
    top.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    top.add_argument("--duration", type=float, help="stop after this many seconds (Ctrl-C too)")
    top.set_defaults(handler=cmd_top)
    commands.add_parser("down", help="stop what `up` started").set_defaults(handler=cmd_down)
    commands.add_parser("status", help="what runs where").set_defaults(handler=cmd_status)

    logs = commands.add_parser("logs", help="a service's log")
    logs.add_argument("service", help=", ".join(stack.SERVICE_NAMES))
    logs.add_argument("-n", "--lines", type=int, default=50)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(handler=cmd_logs)

    sql = commands.add_parser("sql", help="run Confluent-dialect SQL files statement by statement")
    sql.add_argument("-f", "--file", action="append", default=[], help="a SQL file (repeatable)")
    sql.add_argument("files", nargs="*", help="more SQL files")
    _add_ml_batch_argument(sql)
    sql.set_defaults(handler=cmd_sql)

    data = commands.add_parser("data", help="IEEE-CIS data").add_subparsers(
        dest="data_command", required=True
    )
    generate = data.add_parser("generate", help="write a synthetic IEEE-CIS twin")
    generate.add_argument("--rows", type=int, default=DEMO_ROWS)
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=DEMO_SEED)
    generate.set_defaults(handler=cmd_generate)

    produce = commands.add_parser("produce", help="replay train_*.csv files into the topics")
    produce.add_argument("--data", required=True, help="folder with the two CSV files")
    _add_replay_arguments(produce)
    produce.set_defaults(handler=cmd_produce)

    from emulator import compare, evaluate

    compare_parser = commands.add_parser(
        "compare", help="local predictions against a Confluent Cloud export"
    )
    compare.add_arguments(compare_parser)
    compare_parser.set_defaults(handler=compare.cmd_compare)
    evaluate_parser = commands.add_parser(
        "evaluate", help="accuracy, precision, recall, F1 and AUC of the predictions"
    )
    evaluate.add_arguments(evaluate_parser)
    evaluate_parser.set_defaults(handler=evaluate.cmd_evaluate)

    api_key = commands.add_parser(
        "api-key", help="API keys scoped to a topic (SASL/PLAIN + Kafka ACLs)"
    ).add_subparsers(dest="api_key_command", required=True)
    key_create = api_key.add_parser("create", help="a key and secret for one topic")
    key_create.add_argument("--service-account", required=True)
    key_create.add_argument("--resource", required=True, help="the topic the key may write")
    key_create.set_defaults(handler=cmd_api_key_create)
    api_key.add_parser("list", help="keys (secrets are not kept)").set_defaults(
        handler=cmd_api_key_list
    )
    key_delete = api_key.add_parser("delete", help="delete a key and its ACLs")
    key_delete.add_argument("key")
    key_delete.set_defaults(handler=cmd_api_key_delete)

    flink = commands.add_parser("flink", help="Flink resources").add_subparsers(
        dest="flink_command", required=True
    )
    from emulator import shell as flink_shell

    shell_parser = flink.add_parser(
        "shell", help="interactive Flink SQL shell (statements end with ;)"
    )
    flink_shell.add_arguments(shell_parser)
    shell_parser.set_defaults(handler=flink_shell.cmd_shell)
    statement = flink.add_parser("statement", help="statements and their status")
    statement_commands = statement.add_subparsers(dest="statement_command", required=True)
    statement_commands.add_parser("list", help="every statement").set_defaults(
        handler=cmd_statement_list
    )
    for verb, handler, text in (
        ("describe", cmd_statement_describe, "one statement in full"),
        ("stop", cmd_statement_stop, "stop a running statement (cancels its job)"),
        ("delete", cmd_statement_stop, "stop and forget a statement"),
    ):
        parser_for_verb = statement_commands.add_parser(verb, help=text)
        parser_for_verb.add_argument("name")
        parser_for_verb.set_defaults(handler=handler)

    connection = flink.add_parser("connection", help="connections to model endpoints")
    connection_commands = connection.add_subparsers(dest="connection_command", required=True)
    create = connection_commands.add_parser("create", help="create a connection")
    create.add_argument("name")
    create.add_argument("--cloud", default="local")
    create.add_argument("--region", default="local")
    create.add_argument("--type", required=True, choices=["azureml"])
    create.add_argument("--endpoint", required=True)
    create.add_argument("--api-key", required=True)
    create.set_defaults(handler=cmd_connection_create)
    listing = connection_commands.add_parser("list", help="list connections")
    listing.add_argument("--cloud")
    listing.add_argument("--region")
    listing.add_argument("--type")
    listing.set_defaults(handler=cmd_connection_list)
    describe = connection_commands.add_parser("describe", help="one connection (key masked)")
    describe.add_argument("name")
    describe.set_defaults(handler=cmd_connection_describe)
    update = connection_commands.add_parser("update", help="change a connection's API key")
    update.add_argument("name")
    update.add_argument("--cloud")
    update.add_argument("--region")
    update.add_argument("--api-key", required=True)
    update.set_defaults(handler=cmd_connection_update)
    delete = connection_commands.add_parser("delete", help="delete a connection")
    delete.add_argument("name")
    delete.add_argument("--force", action="store_true", help="accepted, as the confluent CLI's")
    delete.set_defaults(handler=cmd_connection_delete)
    return parser


# Commands that manage this machine's services: a profile (another cluster) makes no sense there.
LOCAL_STACK_COMMANDS = {"up", "down", "status", "logs", "api-key"}


def _with_profile(settings: Settings, args: argparse.Namespace) -> Settings:
    if args.profile is None:
        return settings
    if args.command in LOCAL_STACK_COMMANDS:
        raise ProfileError(
            f"`ccflink {args.command}` manages this machine's stack; --profile applies to the "
            "commands that talk to a cluster (sql, flink shell, produce, ...)"
        )
    return replace(settings, profile=load_profile(args.profile))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _with_profile(config.settings_from_env(), args)
    except ProfileError as error:
        _say(f"error: {error}")
        return 2
    try:
        return args.handler(settings, args)
    except ServiceError as error:
        _say(f"error: {error}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    except Exception as error:
        if type(error).__name__ in {"StatementError", "MissingTopicError", "HeaderError"}:
            _say(f"error: {error}")
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
