"""Serve the workspace: `python -m emulator.workspace --state-dir DIR` (`ccflink up` does).

It serves the stack that state folder records (its ports; under --secure, HTTP basic auth
with the stack's API keys), always on loopback, with waitress.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from waitress import serve

from emulator import config
from emulator.config import LOOPBACK, Settings
from emulator.kafka.broker import credentials_file
from emulator.schema_registry.auth import BasicAuth, UsersFileError
from emulator.sql.session import Session
from emulator.workspace.app import create_app
from emulator.workspace.runs import Runner


def wsgi_app(settings: Settings) -> Callable:
    """The workspace over `settings`; under --secure only with one of the stack's API keys."""
    runner = Runner(lambda say: Session(settings, say))
    app = create_app(settings, runner)
    if settings.secure:
        return BasicAuth(app.wsgi_app, credentials_file(settings))
    return app.wsgi_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="ccflink's browser workspace")
    parser.add_argument("--state-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[%(asctime)s] %(levelname)s %(message)s")
    try:
        settings = config.load_saved(args.state_dir.resolve())
        if settings is None:
            sys.exit(f"workspace: no stack recorded in {args.state_dir} (`ccflink up` starts one)")
        app = wsgi_app(settings)
    except (config.ConfigError, OSError, UsersFileError) as error:
        sys.exit(f"workspace: {error}")
    logging.info("workspace: %s (secure: %s)", settings.workspace_url, settings.secure)
    serve(app, host=LOOPBACK, port=settings.ports.ui, threads=8, ident="ccflink-workspace")


if __name__ == "__main__":
    main()
