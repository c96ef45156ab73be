"""`ccflink data generate` and `ccflink produce`: IEEE-CIS files and their replay to Kafka."""

from __future__ import annotations

import argparse
from pathlib import Path

from emulator.cli.output import say
from emulator.config import Settings
from emulator.kafka.login import check_login
from producers.produce import produce_dataset
from producers.synthetic import generate


def replay_options(args: argparse.Namespace) -> dict:
    """The replay arguments `produce` and `up --demo` share, as produce_dataset takes them."""
    return {
        "split": args.split,
        "columns": args.columns,
        "timestamps": args.timestamps,
        "speedup": args.speedup,
        "timestamp_field": args.timestamp_field or None,
    }


def cmd_generate(_settings: Settings, args: argparse.Namespace) -> int:
    files = generate(args.rows, Path(args.out), seed=args.seed)
    say(f"wrote {files.transaction_path} and {files.identity_path}")
    return 0


def cmd_produce(settings: Settings, args: argparse.Namespace) -> int:
    if not Path(args.data).is_dir():
        say(f"error: --data {args.data}: no such folder (it holds the Kaggle CSV files)")
        return 2
    if settings.profile is not None:
        check_login(settings.bootstrap_servers, settings.kafka_security)
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        Path(args.data),
        settings.state_dir / "dead-letters",
        **replay_options(args),
        client_config=settings.kafka_security,
        registry_auth=settings.registry_auth,
    )
    for summary in summaries:
        say(summary.line())
    if any(s.interrupted for s in summaries):
        return 130
    return 0 if all(s.failed == 0 for s in summaries) else 1
