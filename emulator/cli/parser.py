"""The `ccflink` command line: its commands, their options and their handlers.

Command words follow the `confluent` CLI where one exists (`flink connection create`); the
rest (`up`, `down`, `status`, `logs`, `sql`, `data generate`, `produce`) are the emulator's.
A handler is named `"module:function"` within `emulator.cli` and imported when its command
runs: `ccflink status` does not load PyFlink, pandas and the producers it never uses.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from pathlib import Path

from emulator import config, demo, stack
from emulator.cli import compare, evaluate, shell
from emulator.config import CONNECTION_API_KEY_ENV, PROFILE_ENV, Settings
from emulator.kafka import security
from producers.declared import TIMESTAMP_FIELD


def _add_ml_batch_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ml-batch-size",
        type=int,
        default=1,
        metavar="ROWS",
        help="local extension: rows per ML_PREDICT request (default 1, as Confluent sends); "
        "the same as SET 'ccflink.ml-predict.batch-size'",
    )


def _add_api_key_argument(parser: argparse.ArgumentParser) -> None:
    """The endpoint's key: on the command line, or (better: `ps` shows arguments) from the
    environment or typed without echo."""
    parser.add_argument(
        "--api-key",
        nargs="?",
        metavar="KEY",
        help=f"the endpoint's API key; without KEY (or without the flag) it is read from "
        f"{CONNECTION_API_KEY_ENV}, else asked for without echo at a terminal",
    )


# Record times of a replay: the time of sending, as the cloud demo's producers stamp them, or
# from TransactionDT, so that event-time statements (the demo's LEFT interval join) see the
# data's own spread instead of a few seconds of sending.
TIMESTAMP_HELP = {
    "wall": "wall clock at send (default, as the cloud demo's producers) or from TransactionDT",
    "event": "from TransactionDT (default: the demo's join then sees the data's own time) or "
    "wall clock at send, as the cloud demo's producers",
}


def _add_replay_arguments(parser: argparse.ArgumentParser, timestamps: str) -> None:
    """The replay's options; `timestamps` is the record time this command stamps by default."""
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
        default=timestamps,
        help=f"record time: {TIMESTAMP_HELP[timestamps]}",
    )
    parser.add_argument(
        "--speedup", type=float, help="replay TransactionDT gaps in real time divided by this"
    )
    parser.add_argument(
        "--timestamp-field",
        default=TIMESTAMP_FIELD,
        metavar="NAME",
        help=f"the table's timestamp field the replay fills with each record's time (default "
        f"{TIMESTAMP_FIELD}, as the cloud demo's producers; '' for none)",
    )


def _positive(text: str) -> float:
    """A number of seconds above zero, as argparse's `type`."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccflink",
        description="ccflink: Confluent Cloud's Flink SQL, Kafka and ML_PREDICT on one machine.",
    )
    parser.add_argument(
        "--profile",
        default=config.profile_reference(),
        help="another cluster's client configuration (a name in the profiles folder, or a "
        f".properties file; env {PROFILE_ENV}); default: this machine's stack",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="start Kafka, Schema Registry, Flink, the model server")
    up.add_argument("--demo", action="store_true", help="then run the pipeline and replay data")
    up.add_argument(
        "--secure",
        action="store_true",
        help="every client needs an API key, as on Confluent Cloud: Kafka through SASL only, "
        "the Schema Registry with basic auth, Flink on 127.0.0.1 only; the admin key goes to "
        "<state>/secrets/client.properties. Also what lets CCFLINK_HOST name another address.",
    )
    up.add_argument(
        "--rows", type=int, default=demo.DEMO_ROWS, help="synthetic transactions to replay"
    )
    up.add_argument("--data", type=Path, help="folder with the Kaggle train_*.csv files instead")
    up.add_argument(
        "--no-top", action="store_true", help="scrolling lines instead of the live view"
    )
    up.add_argument(
        "--until-complete",
        action="store_true",
        help="once the replay is in and predictions stop coming, drain the join so every "
        "transaction is scored (for comparing with a cloud run; the join then COMPLETES)",
    )
    up.add_argument(
        demo.REPLAY_AGAIN_FLAG,
        action="store_true",
        help="replay even when the source topics already hold an earlier replay's records "
        "(by default a second `up --demo` does not replay them: the copy would be scored again)",
    )
    _add_replay_arguments(up, timestamps="event")
    _add_ml_batch_argument(up)
    up.set_defaults(handler="stack_commands:cmd_up")
    top = commands.add_parser(
        "top",
        help="live view: records per topic, rows joined, predictions, fraud rate, latency, errors",
    )
    top.add_argument("--interval", type=_positive, default=1.0, help="seconds between samples")
    top.add_argument("--duration", type=float, help="stop after this many seconds (Ctrl-C too)")
    top.add_argument(
        "--topic",
        action="append",
        default=[],
        help="a topic to count, in the order data flows (repeatable; default: the demo's)",
    )
    top.add_argument(
        "--predictions-topic",
        help=f"the topic whose flagged predictions are counted (default {demo.PREDICTIONS_TOPIC})",
    )
    top.add_argument(
        "--flag-column",
        default=demo.PREDICTION_COLUMN,
        help=f"its column that is 1 for a flagged row (default {demo.PREDICTION_COLUMN})",
    )
    top.set_defaults(handler="top:cmd_top")
    commands.add_parser("down", help="stop what `up` started").set_defaults(
        handler="stack_commands:cmd_down"
    )
    commands.add_parser("status", help="what runs where").set_defaults(
        handler="stack_commands:cmd_status"
    )

    logs = commands.add_parser("logs", help="a service's log")
    logs.add_argument("service", help=", ".join(stack.SERVICE_NAMES))
    logs.add_argument("-n", "--lines", type=int, default=50)
    logs.add_argument("-f", "--follow", action="store_true")
    logs.set_defaults(handler="stack_commands:cmd_logs")

    sql = commands.add_parser("sql", help="run Confluent-dialect SQL files statement by statement")
    sql.add_argument("-f", "--file", action="append", default=[], help="a SQL file (repeatable)")
    sql.add_argument("files", nargs="*", help="more SQL files")
    _add_ml_batch_argument(sql)
    sql.set_defaults(handler="sql_commands:cmd_sql")

    data = commands.add_parser("data", help="IEEE-CIS data").add_subparsers(
        dest="data_command", required=True
    )
    generate = data.add_parser("generate", help="write a synthetic IEEE-CIS twin")
    generate.add_argument("--rows", type=int, default=demo.DEMO_ROWS)
    generate.add_argument("--out", required=True)
    generate.add_argument("--seed", type=int, default=demo.DEMO_SEED)
    generate.set_defaults(handler="data_commands:cmd_generate")

    produce = commands.add_parser("produce", help="replay train_*.csv files into the topics")
    produce.add_argument("--data", required=True, help="folder with the two CSV files")
    _add_replay_arguments(produce, timestamps="wall")
    produce.set_defaults(handler="data_commands:cmd_produce")

    compare_parser = commands.add_parser(
        "compare", help="local predictions against a Confluent Cloud export"
    )
    compare.add_arguments(compare_parser)
    compare_parser.set_defaults(handler="compare:cmd_compare")
    evaluate_parser = commands.add_parser(
        "evaluate", help="accuracy, precision, recall, F1 and AUC of the predictions"
    )
    evaluate.add_arguments(evaluate_parser)
    evaluate_parser.set_defaults(handler="evaluate:cmd_evaluate")

    api_key = commands.add_parser(
        "api-key", help="API keys scoped to a topic (SASL/PLAIN + Kafka ACLs)"
    ).add_subparsers(dest="api_key_command", required=True)
    key_create = api_key.add_parser("create", help="a key and secret for one topic")
    key_create.add_argument("--service-account", required=True)
    key_create.add_argument("--resource", required=True, help="the topic the key may write")
    key_create.add_argument(
        "--registry-role",
        default=security.DEFAULT_REGISTRY_ROLE,
        help=f"what the key may do on the Schema Registry: {', '.join(security.REGISTRY_ROLES)} "
        f"(default {security.DEFAULT_REGISTRY_ROLE}: everything; DeveloperRead: reads only)",
    )
    key_create.set_defaults(handler="api_keys:cmd_api_key_create")
    api_key.add_parser("list", help="keys (secrets are not kept)").set_defaults(
        handler="api_keys:cmd_api_key_list"
    )
    key_delete = api_key.add_parser("delete", help="delete a key and its ACLs")
    key_delete.add_argument("key")
    key_delete.set_defaults(handler="api_keys:cmd_api_key_delete")

    flink = commands.add_parser("flink", help="Flink resources").add_subparsers(
        dest="flink_command", required=True
    )
    shell_parser = flink.add_parser(
        "shell", help="interactive Flink SQL shell (statements end with ;)"
    )
    shell.add_arguments(shell_parser)
    shell_parser.set_defaults(handler="sql_commands:cmd_shell")
    statement = flink.add_parser("statement", help="statements and their status")
    statement_commands = statement.add_subparsers(dest="statement_command", required=True)
    statement_commands.add_parser("list", help="every statement").set_defaults(
        handler="sql_commands:cmd_statement_list"
    )
    for verb, verb_handler, text in (
        ("describe", "sql_commands:cmd_statement_describe", "one statement in full"),
        (
            "stop",
            "sql_commands:cmd_statement_stop",
            "stop a running statement with a savepoint (resume continues from it)",
        ),
        (
            "resume",
            "sql_commands:cmd_statement_resume",
            "continue a stopped statement from its savepoint",
        ),
        (
            "drain",
            "sql_commands:cmd_statement_drain",
            "emit every row a running statement holds back for the watermark, then stop it "
            "with a savepoint (a bounded replay's end)",
        ),
        ("delete", "sql_commands:cmd_statement_stop", "stop and forget a statement"),
    ):
        parser_for_verb = statement_commands.add_parser(verb, help=text)
        parser_for_verb.add_argument("name")
        parser_for_verb.set_defaults(handler=verb_handler)
    update = statement_commands.add_parser(
        "update", help="stop or resume a statement (Confluent's update --stopped)"
    )
    update.add_argument("name")
    update.add_argument(
        "--stopped",
        required=True,
        type=_true_or_false,
        metavar="true|false",
        help="true: stop it with a savepoint; false: resume it from its savepoint",
    )
    update.set_defaults(handler="sql_commands:cmd_statement_update")
    exception = statement_commands.add_parser("exception", help="a statement's failures")
    exception_commands = exception.add_subparsers(dest="exception_command", required=True)
    exception_list = exception_commands.add_parser(
        "list", help="the failures of a statement's job, newest first"
    )
    exception_list.add_argument("name")
    exception_list.set_defaults(handler="sql_commands:cmd_statement_exceptions")

    connection = flink.add_parser("connection", help="connections to model endpoints")
    connection_commands = connection.add_subparsers(dest="connection_command", required=True)
    create = connection_commands.add_parser("create", help="create a connection")
    create.add_argument("name")
    create.add_argument("--cloud", default="local")
    create.add_argument("--region", default="local")
    create.add_argument("--type", required=True, choices=["azureml"])
    create.add_argument("--endpoint", required=True)
    _add_api_key_argument(create)
    create.set_defaults(handler="connections:cmd_connection_create")
    listing = connection_commands.add_parser("list", help="list connections")
    listing.add_argument("--cloud")
    listing.add_argument("--region")
    listing.add_argument("--type")
    listing.set_defaults(handler="connections:cmd_connection_list")
    describe = connection_commands.add_parser("describe", help="one connection (key masked)")
    describe.add_argument("name")
    describe.set_defaults(handler="connections:cmd_connection_describe")
    update = connection_commands.add_parser("update", help="change a connection's API key")
    update.add_argument("name")
    update.add_argument("--cloud")
    update.add_argument("--region")
    _add_api_key_argument(update)
    update.set_defaults(handler="connections:cmd_connection_update")
    delete = connection_commands.add_parser("delete", help="delete a connection")
    delete.add_argument("name")
    delete.add_argument("--force", action="store_true", help="accepted, as the confluent CLI's")
    delete.set_defaults(handler="connections:cmd_connection_delete")
    return parser


def handler(args: argparse.Namespace) -> Callable[[Settings, argparse.Namespace], int]:
    """The function that runs the parsed command."""
    module, _, function = args.handler.partition(":")
    return getattr(importlib.import_module(f"emulator.cli.{module}"), function)


def _true_or_false(value: str) -> bool:
    """`--stopped=true|false`, as the confluent CLI spells booleans."""
    if value.lower() not in {"true", "false"}:
        raise argparse.ArgumentTypeError(f"give true or false, not {value!r}")
    return value.lower() == "true"
