"""`ccflink sql`, `ccflink flink shell` and `ccflink flink statement ...`: statements run,
listed, stopped, resumed, drained, their failures shown."""

from __future__ import annotations

import argparse
import contextlib
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from emulator.catalog import Catalog
from emulator.cli.output import format_rows, result_text, say
from emulator.cli.shell import INTERACTIVE_MAX_ROWS, ChangePrinter, Shell
from emulator.config import Settings
from emulator.flink.rest import FlinkRest
from emulator.sql import statements
from emulator.sql.query import SCRIPT_SELECT_LIMITS, SelectLimits
from emulator.sql.session import Session


def cmd_sql(settings: Settings, args: argparse.Namespace) -> int:
    files = [Path(f) for f in [*args.file, *args.files]]
    if not files:
        say("nothing to run: give SQL files (ccflink sql -f FILE)")
        return 2
    unreadable = [str(f) for f in files if not f.is_file()]
    if unreadable:
        say(f"error: no such SQL file: {', '.join(unreadable)}")
        return 2
    session = Session(settings, say, ml_batch_size=args.ml_batch_size)
    for path in files:
        for result in session.run_script(path.read_text(), str(path)):
            say(result_text(result))
    return 0


def _statements(settings: Settings) -> tuple[Catalog, FlinkRest]:
    return Catalog.for_state(settings.state_dir), FlinkRest(settings.flink_rest_url)


def cmd_statement_list(settings: Settings, _args: argparse.Namespace) -> int:
    catalog, rest = _statements(settings)
    rows = [
        (r.name, r.status, r.created_at, " ".join(r.sql.split())[:60])
        for r in statements.refresh(catalog, rest)
    ]
    say(format_rows(["Name", "Status", "Created", "Statement"], rows))
    return 0


def cmd_statement_describe(settings: Settings, args: argparse.Namespace) -> int:
    catalog, rest = _statements(settings)
    statements.refresh(catalog, rest)
    record = statements.get(catalog, args.name)
    for label, value in (
        ("Name", record.name),
        ("Status", record.status),
        ("Created", record.created_at),
        ("Flink job", record.job_id or "-"),
        ("Detail", record.detail or "-"),
        ("Statement", record.sql),
    ):
        say(f"{label:<10} {value}")
    if record.job_id and "ML_PREDICT" in record.sql.upper():
        _say_model_calls(rest, record.job_id)
    return 0


def _say_model_calls(rest: FlinkRest, job_id: str) -> None:
    """ML_PREDICT's counters from Flink's metrics: requests, retries, failures, latency."""
    try:
        calls = statements.model_calls(rest, job_id)
    except OSError:
        return  # the cluster is gone; the statement's record above still stands
    for model, counters in sorted(calls.items()):
        for name, value in sorted(counters.items()):
            if not name.startswith("latency_ms_"):
                say(f"{'Model':<10} {model}.{name} = {value:,.0f}")
    for model, counters in sorted(calls.items()):
        mean = statements.mean_latency_ms(counters)
        if mean is not None:
            count = counters["latency_ms_count"]
            say(f"{'Model':<10} {model}.latency_ms mean = {mean:.1f} over {count:,.0f} calls")


def cmd_statement_stop(settings: Settings, args: argparse.Namespace) -> int:
    catalog, rest = _statements(settings)
    if args.statement_command == "delete":
        statements.delete(catalog, rest, args.name)
        say(f"Deleted statement {args.name!r}.")
    else:
        record = statements.stop(catalog, rest, settings, args.name)
        say(f"Statement {args.name!r}: {record.status}. {record.detail or ''}".rstrip())
    return 0


def cmd_statement_resume(settings: Settings, args: argparse.Namespace) -> int:
    statements.get(Catalog.for_state(settings.state_dir), args.name)  # before starting a session
    record = Session(settings, say).resume(args.name)
    say(f"Statement {args.name!r}: {record.status}. {record.detail}")
    return 0


def cmd_statement_update(settings: Settings, args: argparse.Namespace) -> int:
    """`update NAME --stopped=true|false`: Confluent's other spelling of stop and resume."""
    if not args.stopped:
        return cmd_statement_resume(settings, args)
    catalog, rest = _statements(settings)
    record = statements.stop(catalog, rest, settings, args.name)
    say(f"Statement {args.name!r}: {record.status}. {record.detail or ''}".rstrip())
    return 0


def cmd_statement_exceptions(settings: Settings, args: argparse.Namespace) -> int:
    catalog, rest = _statements(settings)
    failures = statements.exceptions(catalog, rest, args.name)
    rows = [
        (datetime.fromtimestamp(f.timestamp_ms / 1000, UTC).isoformat(timespec="seconds"), why)
        for f in failures
        for why in [f.message]
    ]
    say(format_rows(["Timestamp", "Exception"], rows) if rows else "No exceptions.")
    return 0


def cmd_statement_drain(settings: Settings, args: argparse.Namespace) -> int:
    catalog, rest = _statements(settings)
    statements.refresh(catalog, rest)
    record = statements.drain(catalog, rest, settings, args.name)
    say(f"Statement {args.name!r}: {record.status}. {record.detail}")
    return 0


def _read_stdin(prompt: str) -> str:
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line


def cmd_shell(settings: Settings, args: argparse.Namespace) -> int:
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401 (line editing and history for input())
        say(f"Connecting to the Flink compute pool at {settings.flink_rest_url} ...")
        limits = SelectLimits(
            max_rows=INTERACTIVE_MAX_ROWS,
            idle_timeout=None,
            startup_timeout=None,
            timeout=None,
            on_row=ChangePrinter(say),
            stop_on_interrupt=True,
        )
    else:
        limits = SCRIPT_SELECT_LIMITS
    if args.max_rows is not None:
        limits = replace(limits, max_rows=args.max_rows or None)
    if args.idle_timeout is not None:
        limits = replace(limits, idle_timeout=args.idle_timeout or None)
    session = Session(settings, say)
    session.select_limits = limits
    if interactive:
        say(
            "Flink SQL shell (Confluent dialect). End statements with ';'. "
            "Ctrl-C stops a running SELECT; quit; or Ctrl-D leaves."
        )
    return Shell(session, input if interactive else _read_stdin, say, interactive).run()
