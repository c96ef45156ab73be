"""Run the Schema Registry: `python -m emulator.schema_registry --port 8081 ...`.

`--basic-auth-file FILE` (or CCFLINK_SCHEMA_REGISTRY_BASIC_AUTH_FILE) turns on HTTP basic auth
with the API keys of the broker's 0600 credentials file (salted hashes, written by
emulator/kafka/security.py; checked by emulator/schema_registry/auth.py); off by default.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from waitress import serve

from emulator import config
from emulator.profiles import ProfileError, load_profile
from emulator.schema_registry.app import create_app
from emulator.schema_registry.auth import BasicAuth, UsersFileError
from emulator.schema_registry.kafka_log import KafkaSchemaLog
from emulator.schema_registry.store import SchemaStore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Confluent-compatible Schema Registry")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument(
        "--basic-auth-file",
        type=Path,
        default=config.registry_users_file(),
        help=f"require HTTP basic auth with the API keys of this credentials file "
        f"(env {config.REGISTRY_USERS_FILE_ENV}; off by default)",
    )
    parser.add_argument(
        "--kafka-properties",
        type=Path,
        default=None,
        help="a Confluent client configuration whose security.* and sasl.* settings the "
        "registry's own Kafka clients log in with (`ccflink up --secure` passes its admin key's)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(message)s")
    try:
        max_request_bytes = config.registry_max_request_bytes()
    except config.ConfigError as error:
        sys.exit(f"schema registry: {error}")
    security = {}
    if args.kafka_properties is not None:
        try:
            security = load_profile(
                str(args.kafka_properties), Path("."), os.environ
            ).kafka_security
        except ProfileError as error:
            sys.exit(f"schema registry: --kafka-properties: {error}")
    schema_log = KafkaSchemaLog(args.bootstrap_servers, security=security)
    schema_log.ensure_topic()
    store = SchemaStore(schema_log)
    app = create_app(store, max_request_bytes)
    if args.basic_auth_file is not None:
        try:
            app = BasicAuth(app, Path(args.basic_auth_file).resolve())
        except (OSError, UsersFileError) as error:
            sys.exit(f"schema registry: basic auth: {error}")
    logging.info(
        "schema registry: %d subjects restored from _schemas; listening on %s:%d%s",
        len(store.subjects()),
        args.host,
        args.port,
        f" (basic auth: {args.basic_auth_file})" if args.basic_auth_file else "",
    )
    # The app answers 413 (JSON) from Content-Length before reading; waitress reads a body
    # before the app runs, so it stops at twice the limit (its own plain 413) to bound that.
    serve(
        app,
        host=args.host,
        port=args.port,
        threads=8,
        ident="ccflink-sr",
        max_request_body_size=2 * max_request_bytes,
    )


if __name__ == "__main__":
    main()
