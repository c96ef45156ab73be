"""The environment the server reads and sets, and the endpoint's limits, in one place.

Azure ML's inference server is configured through environment variables (`AZUREML_MODEL_DIR`,
`AZUREML_ENTRY_SCRIPT`, ...); ours uses the same names where it mirrors them, plus its own for
the Bearer keys, so a deployment's settings read the same here as in Azure.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MODEL_DIR_ENV = "AZUREML_MODEL_DIR"
ENTRY_SCRIPT_ENV = "AZUREML_ENTRY_SCRIPT"
# Comma-separated Bearer keys, so they need not show up in `ps`.
KEYS_ENV = "CCFLINK_MODEL_API_KEYS"
# azmlinfsrv answers 431 when a request id header is longer than this.
MAX_REQUEST_ID_LENGTH = 100
# The largest request body read, Content-Length or chunked. Neither azmlinfsrv 1.5.1 (no Flask
# MAX_CONTENT_LENGTH; gunicorn bounds only the request line and headers) nor Azure ML's online
# endpoint limits state one, so the figure is ours: 16 MiB holds ~60,000 rows of the demo's
# features (~280 bytes each as JSON), 60 times the largest ML_PREDICT batch we document.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
REQUEST_TOO_LARGE = (
    f"The request body is larger than this endpoint accepts ({MAX_REQUEST_BYTES} bytes, "
    "16 MiB); send fewer rows per request."
)


def model_dir_from_environment() -> Path | None:
    """The registered model's folder when the deployment already names it, as Azure does."""
    model_dir = os.environ.get(MODEL_DIR_ENV)
    return Path(model_dir) if model_dir else None


def api_keys_from_environment() -> list[str]:
    """The Bearer keys in KEYS_ENV, blanks dropped."""
    return [key.strip() for key in os.environ.get(KEYS_ENV, "").split(",") if key.strip()]


@dataclass(frozen=True)
class EndpointSettings:
    """A managed online deployment's `request_settings`, for one instance (one process)."""

    request_timeout_ms: int = 5000
    max_concurrent_requests_per_instance: int = 1

    @property
    def max_pending(self) -> int:
        """Requests accepted at once (running + waiting) before 429, as Azure documents."""
        return 2 * self.max_concurrent_requests_per_instance
