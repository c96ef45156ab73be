"""Answers in azmlinfsrv's shape: a JSON body and the `x-ms-run-function-failed` header."""

from __future__ import annotations

import json

from flask import Response

RUN_FUNCTION_FAILED = "x-ms-run-function-failed"
RUN_FUNCTION_MS = "x-ms-run-fn-exec-ms"
INTERNAL_ERROR = "An unexpected internal error occurred. Check the logs for more info."


def json_response(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    """`body` as JSON; `run()` did not fail unless `headers` say so."""
    response = Response(json.dumps(body), status, mimetype="application/json")
    response.headers[RUN_FUNCTION_FAILED] = "False"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """Azure's error body, `{"message": ...}`."""
    return json_response({"message": message}, status, headers)
