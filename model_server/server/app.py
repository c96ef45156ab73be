"""The Flask app of one hosted scoring script, composed from the server's modules."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from model_server.server import routes
from model_server.server.auth import accepted_keys
from model_server.server.config import MAX_REQUEST_BYTES, REQUEST_TOO_LARGE, EndpointSettings
from model_server.server.container import ScoringContainer
from model_server.server.endpoint import EndpointFrontEnd
from model_server.server.responses import INTERNAL_ERROR, error_response
from model_server.server.user_script import UserScript

log = logging.getLogger(__name__)


def _http_error(error: HTTPException) -> Response:
    """404/405 and friends as `{"message": ...}` JSON, as azmlinfsrv answers them."""
    return error_response(error.code or 500, error.description)


def _too_large(_: RequestEntityTooLarge) -> Response:
    """413 in azmlinfsrv's error shape, saying the limit (Werkzeug's text does not)."""
    return error_response(413, REQUEST_TOO_LARGE)


def _internal_error(error: Exception) -> Response:
    log.exception("unhandled error")
    return error_response(500, INTERNAL_ERROR)


def create_app(
    entry_script: Path,
    model_dir: Path,
    api_keys: list[str],
    *,
    endpoint: EndpointSettings | None = None,
) -> Flask:
    """Import the scoring script, run its `init()` once (in this process) and serve it."""
    keys = accepted_keys(api_keys)
    script = UserScript.start(entry_script, model_dir)
    container = ScoringContainer(script)
    score = container.score
    if endpoint is not None:
        score = EndpointFrontEnd(endpoint, container.score).score
    app = Flask(__name__)
    # Werkzeug refuses a longer Content-Length, or stops a chunked body, at this size.
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.register_blueprint(routes.blueprint(script, score, keys))
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    return app
