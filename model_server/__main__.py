"""`python -m model_server`: serve a scoring script, like an Azure ML deployment.

The app is built inside each worker (no preload), so the script's `init()` runs once per worker
process, as azureml-inference-server-http does; `serve.py` says which HTTP server hosts it.
API keys can come from CCFLINK_MODEL_API_KEYS so they need not show up in `ps`; they are never
logged.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from model_server.serve import DEFAULT_SERVER, SERVERS, Hosted, Listen
from model_server.server.config import (
    KEYS_ENV,
    MODEL_DIR_ENV,
    EndpointSettings,
    api_keys_from_environment,
    model_dir_from_environment,
)

DEFAULT_ENTRY_SCRIPT = Path(__file__).with_name("score.py")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m model_server", description=__doc__)
    parser.add_argument("--entry-script", type=Path, default=DEFAULT_ENTRY_SCRIPT)
    model_dir = model_dir_from_environment()
    parser.add_argument(
        "--model-dir",
        type=Path,
        default=model_dir,
        required=model_dir is None,
        help=f"becomes {MODEL_DIR_ENV} (default: that variable)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument(
        "--api-key",
        action="append",
        default=[],
        help=f"accepted Bearer key (repeat for primary/secondary; or {KEYS_ENV}=k1,k2)",
    )
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1, help="requests at once per worker")
    parser.add_argument(
        "--server",
        choices=sorted(SERVERS),
        default=DEFAULT_SERVER,
        help=f"the HTTP server hosting the app (default {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--timeout", type=int, default=60, help="with --server gunicorn: worker timeout, seconds"
    )
    parser.add_argument(
        "--endpoint-mode",
        action="store_true",
        help="answer as a managed online endpoint: non-200 from the script -> 424, "
        "request timeout -> 408, too many pending requests -> 429 (each worker is an instance)",
    )
    parser.add_argument(
        "--request-timeout-ms",
        type=int,
        default=EndpointSettings.request_timeout_ms,
        help="with --endpoint-mode: request_settings.request_timeout_ms (Azure: max 180000)",
    )
    parser.add_argument(
        "--max-concurrent-requests",
        type=int,
        default=EndpointSettings.max_concurrent_requests_per_instance,
        help="with --endpoint-mode: max_concurrent_requests_per_instance; "
        "2x this many may be pending per worker before 429",
    )
    args = parser.parse_args(argv)
    args.api_key = [k for k in args.api_key if k] + api_keys_from_environment()
    if not args.api_key:
        parser.error(f"give at least one --api-key or set {KEYS_ENV}")
    if args.request_timeout_ms < 1 or args.max_concurrent_requests < 1:
        parser.error("--request-timeout-ms and --max-concurrent-requests must be positive")
    if args.workers < 1 or args.threads < 1:
        parser.error("--workers and --threads must be at least 1")
    return args


def endpoint_settings(args: argparse.Namespace) -> EndpointSettings | None:
    if not args.endpoint_mode:
        return None
    return EndpointSettings(
        request_timeout_ms=args.request_timeout_ms,
        max_concurrent_requests_per_instance=args.max_concurrent_requests,
    )


def listen(args: argparse.Namespace, endpoint: EndpointSettings | None) -> Listen:
    """Address and width; under --endpoint-mode one thread more than may be pending, so the
    request past the limit is answered 429 instead of waiting in the server's queue."""
    threads = args.threads if endpoint is None else max(args.threads, endpoint.max_pending + 1)
    return Listen(args.host, args.port, args.workers, threads, args.timeout)


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    endpoint = endpoint_settings(args)
    hosted = Hosted(args.entry_script.resolve(), args.model_dir.resolve(), args.api_key, endpoint)
    SERVERS[args.server](hosted, listen(args, endpoint))


if __name__ == "__main__":
    main()
