"""`ccflink api-key ...`: API keys scoped to a topic (SASL/PLAIN and Kafka ACLs)."""

from __future__ import annotations

import argparse
from dataclasses import fields

from emulator.cli.output import format_rows, say
from emulator.config import Settings
from emulator.kafka import security


def cmd_api_key_create(settings: Settings, args: argparse.Namespace) -> int:
    key, secret = security.create_api_key(
        settings, args.service_account, args.resource, args.registry_role
    )
    say(
        f"API Key       | {key}\nAPI Secret    | {secret}\nRegistry role | {args.registry_role}\n"
        "(the secret is shown this once)"
    )
    say(
        f"bootstrap.servers={security.sasl_bootstrap_servers(settings)} "
        f"security.protocol=SASL_PLAINTEXT sasl.mechanism={security.MECHANISM}"
    )
    return 0


def cmd_api_key_list(settings: Settings, _args: argparse.Namespace) -> int:
    keys = security.list_api_keys(settings)
    columns = list(keys[0]) if keys else [field.name for field in fields(security.ApiKey)]
    say(format_rows(columns, [tuple(k.values()) for k in keys]))
    return 0


def cmd_api_key_delete(settings: Settings, args: argparse.Namespace) -> int:
    security.delete_api_key(settings, args.key)
    say(f"Deleted API key {args.key!r}.")
    return 0
