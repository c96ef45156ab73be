"""Run the Schema Registry: `python -m emulator.schema_registry --port 8081 ...`."""

from __future__ import annotations

import argparse
import logging

from waitress import serve

from emulator.schema_registry.app import create_app
from emulator.schema_registry.kafka_log import KafkaSchemaLog
from emulator.schema_registry.store import SchemaStore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Confluent-compatible Schema Registry")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(message)s")
    store = SchemaStore(KafkaSchemaLog(args.bootstrap_servers))
    logging.info(
        "schema registry: %d subjects restored from _schemas; listening on %s:%d",
        len(store.subjects()),
        args.host,
        args.port,
    )
    serve(create_app(store), host=args.host, port=args.port, threads=8, ident="ccflink-sr")


if __name__ == "__main__":
    main()
