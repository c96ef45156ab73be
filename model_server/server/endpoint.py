"""What a managed online endpoint adds in front of the container (`--endpoint-mode`).

Azure's front end turns any non-200 from the container into 424 with the container's status and
reason in `ms-azureml-model-error-*` headers, answers 408 after `request_timeout_ms`, and 429
once more requests are pending than the instance accepts. The bodies of 408 and 429 are not
documented by Azure; these are ours.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from flask import Response

from model_server.server.config import EndpointSettings
from model_server.server.input_parsers import ScoreRequest, json_or_text
from model_server.server.responses import error_response

log = logging.getLogger(__name__)

MODEL_ERROR_STATUS = "ms-azureml-model-error-statuscode"
MODEL_ERROR_REASON = "ms-azureml-model-error-reason"


def _error_reason(answer: Response) -> str:
    """The container's `{"message": ...}` when it gave one, else its status line."""
    if answer.mimetype == "application/json":
        message = (json_or_text(answer.get_data(as_text=True)) or {}) if answer.data else {}
        if isinstance(message, dict) and isinstance(message.get("message"), str):
            return message["message"]
    return answer.status


class EndpointFrontEnd:
    """One instance's request limits and error mapping around the container's `score`."""

    def __init__(
        self, settings: EndpointSettings, score: Callable[[ScoreRequest], Response]
    ) -> None:
        self.settings = settings
        self._score = score
        self._pending = 0
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            settings.max_concurrent_requests_per_instance, thread_name_prefix="model"
        )

    def _release(self, _: Future) -> None:
        with self._lock:
            self._pending -= 1

    def score(self, req: ScoreRequest) -> Response:
        """The container's answer within the limits; 429, 408 or 424 where Azure gives them."""
        with self._lock:
            if self._pending >= self.settings.max_pending:
                limit = self.settings.max_pending
                message = f"Too many pending requests: at most {limit} are accepted at once."
                return error_response(429, message)
            self._pending += 1
        future = self._pool.submit(self._score, req)
        # The model keeps its slot until run() really ends, even after a 408 (as in Azure).
        future.add_done_callback(self._release)
        timeout_ms = self.settings.request_timeout_ms
        try:
            answer = future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            future.cancel()  # frees the slot at once if run() has not started yet
            log.warning("request %s timed out after %d ms", req.request_id, timeout_ms)
            message = f"Request timed out after {timeout_ms} ms (request_timeout_ms)."
            return error_response(408, message)
        if answer.status_code == 200:
            return answer
        reason = _error_reason(answer)
        answer.headers[MODEL_ERROR_STATUS] = str(answer.status_code)
        answer.headers[MODEL_ERROR_REASON] = reason.encode("ascii", "replace").decode()
        answer.status_code = 424
        return answer
