"""`ccflink`: one command line over the local stack, its data and its SQL.

The commands live in modules by what they manage; `parser` wires them. Every user-facing
failure is a `CcflinkError`: it is printed as `error: ...` and ends the command with its exit
code. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import requests
from confluent_kafka import KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError

from common.errors import CcflinkError
from emulator import config
from emulator.cli.output import say
from emulator.cli.parser import build_parser, handler
from emulator.config import Settings
from emulator.profiles import ProfileError

# A service that does not answer (the stack is down, another cluster unreachable): the user's
# to fix, so a message rather than a traceback.
UNREACHABLE = (ConnectionError, requests.ConnectionError, KafkaException, SchemaRegistryError)

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
    return replace(settings, profile=config.load_profile(args.profile))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = _with_profile(config.settings_from_env(), args)
        return handler(args)(settings, args)
    except CcflinkError as error:
        say(f"error: {error}")
        return error.exit_code
    except UNREACHABLE as error:
        say(f"error: {type(error).__name__}: {error} (`ccflink status` shows what runs)")
        return 1
    except KeyboardInterrupt:
        say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
