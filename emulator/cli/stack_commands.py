"""`ccflink up | down | status | logs`: the local stack, and the demo `make up` runs."""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import replace

from emulator import demo, stack
from emulator.cli.data_commands import replay_options
from emulator.cli.output import say
from emulator.cli.top import run_top
from emulator.config import Settings
from emulator.demo import pipeline
from emulator.demo.model import ensure_model
from emulator.monitor import Snapshot
from emulator.process import ManagedProcess
from emulator.sql import recovery
from emulator.watching import demo_watched


def cmd_up(settings: Settings, args: argparse.Namespace) -> int:
    started = time.monotonic()
    if args.secure and not settings.secure:
        if stack.running(settings):
            say(
                f"error: the stack in {settings.state_dir} runs without --secure; "
                "`ccflink down` first, then `ccflink up --secure`"
            )
            return 2
        settings = replace(settings, secure=True)
    settings = stack.up(settings, say, prepare_model=ensure_model)
    if settings.secure:
        say(
            f"Secure: every client needs an API key. The admin key is in "
            f"{settings.client_properties_file} (for `ccflink --profile` and Confluent clients)."
        )
    recovery.recover(settings, say)
    say(f"Stack ready in {time.monotonic() - started:.0f} s.")
    say(f"Workspace: {settings.workspace_url}")
    if args.demo:
        run_demo(settings, args, started)
    say("\nThe stack keeps running. `ccflink status` shows it; stop it with `make down`.")
    return 0


def run_demo(settings: Settings, args: argparse.Namespace, up_started: float) -> None:
    """The demo, its predictions shown live on a terminal and as scrolling lines elsewhere."""
    live = sys.stdout.isatty() and not args.no_top

    def follow(watch: pipeline.ArrivalWatch) -> None:
        if live:
            _watch_live(settings, watch)
        else:
            pipeline.watch_predictions(settings, watch, say=say)

    pipeline.run_demo(
        settings,
        follow,
        say,
        rows=args.rows,
        data_dir=args.data,
        replay_options=replay_options(args),
        ml_batch_size=args.ml_batch_size,
        up_started=up_started,
        until_complete=args.until_complete,
        replay_again=args.replay_again,
    )


def _watch_live(settings: Settings, watch: pipeline.ArrivalWatch) -> None:
    """The live view (`ccflink top`) until `watch` is done."""

    def done(snapshot: Snapshot) -> bool:
        topic = snapshot.topics.get(demo.PREDICTIONS_TOPIC)
        # The topic's total: the watch counts this run's, past its start offsets.
        watch.seen_in_topic(topic.total if topic is not None and topic.total is not None else 0)
        return watch.done()

    run_top(settings, demo_watched(), until=done)


def cmd_down(settings: Settings, _args: argparse.Namespace) -> int:
    if recovery.suspend(settings, say):
        say("Running statements stopped with savepoints; `ccflink up` resumes them.")
    stopped = stack.down(settings)
    say(f"Stopped: {', '.join(stopped)}" if stopped else "Nothing was running.")
    return 0


def cmd_status(settings: Settings, _args: argparse.Namespace) -> int:
    rows = stack.status(settings)
    say(f"{'service':<18} {'state':<10} {'pid':>8} {'memory':>9}  address")
    for row in rows:
        state = "healthy" if row.healthy else ("unhealthy" if row.running else "stopped")
        memory = f"{row.memory_bytes / 2**20:,.0f} MB" if row.running else "-"
        say(f"{row.name:<18} {state:<10} {row.pid or '-':>8} {memory:>9}  {row.address}")
    total = sum(r.memory_bytes for r in rows)
    say(f"{'total':<18} {'':<10} {'':>8} {total / 2**20:>6,.0f} MB")
    say(f"state folder: {settings.state_dir}")
    return 0 if all(r.healthy for r in rows) else 1


def cmd_logs(settings: Settings, args: argparse.Namespace) -> int:
    if args.service not in stack.SERVICE_NAMES:
        say(f"unknown service {args.service!r}; one of: {', '.join(stack.SERVICE_NAMES)}")
        return 2
    log = ManagedProcess(args.service, settings).log_file
    if not log.exists():
        say(f"no log yet at {log}")
        return 1
    command = ["tail", "-n", str(args.lines)] + (["-f"] if args.follow else []) + [str(log)]
    return subprocess.call(command)
