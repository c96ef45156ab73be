"""One `/score` call the way azureml-inference-server-http's container answers it.

Input errors are 400, an exception in run() is 500 with `x-ms-run-function-failed: True`,
a Flask `Response` from run() passes through, anything else is serialised as JSON.
"""

from __future__ import annotations

import logging
import time

from flask import Response

from model_server.server.input_parsers import BadInput, ScoreRequest, raw_data
from model_server.server.responses import (
    INTERNAL_ERROR,
    RUN_FUNCTION_FAILED,
    RUN_FUNCTION_MS,
    error_response,
    json_response,
)
from model_server.server.user_script import UserScript

log = logging.getLogger(__name__)

RUN_FAILED = "An unexpected error occurred in scoring script. Check the logs for more info."


class ScoringContainer:
    """azureml-inference-server-http's handling of an undecorated `run(raw_data)` script."""

    def __init__(self, script: UserScript) -> None:
        self.script = script

    def score(self, req: ScoreRequest) -> Response:
        """Call run() once for `req`; needs no Flask request context (worker threads call it)."""
        try:
            data = raw_data(req)
        except BadInput as error:
            return error_response(400, str(error))
        started = time.perf_counter()
        try:
            result = self.script.run(data, req.headers)
        except Exception:
            log.exception("run() failed for request %s", req.request_id)
            return error_response(500, RUN_FAILED, {RUN_FUNCTION_FAILED: "True"})
        elapsed = f"{(time.perf_counter() - started) * 1000:.3f}"
        if isinstance(result, Response):
            if result.status_code >= 500:
                result.headers[RUN_FUNCTION_FAILED] = "True"
            result.headers[RUN_FUNCTION_MS] = elapsed
            return result
        try:
            return json_response(result, 200, {RUN_FUNCTION_MS: elapsed})
        except (TypeError, ValueError):
            log.exception("run() returned a value json.dumps cannot encode (numpy? use .tolist())")
            return error_response(500, INTERNAL_ERROR)
