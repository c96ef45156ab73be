"""`python -m model_server`: serve a scoring script under gunicorn, like an Azure ML deployment.

The app is built inside each worker (no preload), so the script's `init()` runs once per worker
process, as azureml-inference-server-http does. API keys can come from CCFLINK_MODEL_API_KEYS
so they need not show up in `ps`; they are never logged.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from flask import Flask
from gunicorn.app.base import BaseApplication

from model_server.server.app import create_app
from model_server.server.config import (
    KEYS_ENV,
    MODEL_DIR_ENV,
    EndpointSettings,
    api_keys_from_environment,
    model_dir_from_environment,
)

DEFAULT_ENTRY_SCRIPT = Path(__file__).with_name("score.py")


class ModelServer(BaseApplication):
    """gunicorn driven from Python: bind, workers and threads from our arguments only."""

    def __init__(
        self,
        entry_script: Path,
        model_dir: Path,
        api_keys: list[str],
        options: dict[str, object],
        endpoint: EndpointSettings | None = None,
    ) -> None:
        self._entry_script = entry_script
        self._model_dir = model_dir
        self._api_keys = api_keys
        self._options = options
        self._endpoint = endpoint
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_app(
            self._entry_script, self._model_dir, self._api_keys, endpoint=self._endpoint
        )


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
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--timeout", type=int, default=60, help="gunicorn worker timeout, seconds")
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
    return args


def endpoint_settings(args: argparse.Namespace) -> EndpointSettings | None:
    if not args.endpoint_mode:
        return None
    return EndpointSettings(
        request_timeout_ms=args.request_timeout_ms,
        max_concurrent_requests_per_instance=args.max_concurrent_requests,
    )


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    endpoint = endpoint_settings(args)
    threads = args.threads
    if endpoint is not None:
        # One thread more than may be pending, so the one past the limit is answered 429
        # instead of waiting in gunicorn's queue.
        threads = max(threads, endpoint.max_pending + 1)
    options: dict[str, object] = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": args.timeout,
        "preload_app": False,
    }
    ModelServer(
        args.entry_script.resolve(), args.model_dir.resolve(), args.api_key, options, endpoint
    ).run()


if __name__ == "__main__":
    main()
