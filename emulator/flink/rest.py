"""The few calls to Flink's REST API that statements need: job state, failure cause, stop."""

from __future__ import annotations

import time

import requests

# Flink job states -> Confluent statement statuses.
STATUS_BY_JOB_STATE = {
    "INITIALIZING": "PENDING",
    "CREATED": "PENDING",
    "RESTARTING": "PENDING",
    "RECONCILING": "PENDING",
    "RUNNING": "RUNNING",
    "FAILING": "FAILING",
    "FINISHED": "COMPLETED",
    "FAILED": "FAILED",
    "CANCELLING": "STOPPING",
    "CANCELED": "STOPPED",
    "SUSPENDED": "STOPPED",
}


class FlinkRest:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def job_state(self, job_id: str) -> str | None:
        response = requests.get(f"{self.url}/jobs/{job_id}", timeout=5)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json().get("state")

    def failure(self, job_id: str) -> str | None:
        """The root exception's first line, as Confluent shows a failed statement's detail."""
        response = requests.get(f"{self.url}/jobs/{job_id}/exceptions", timeout=5)
        if not response.ok:
            return None
        root = response.json().get("rootException") or ""
        for line in root.splitlines():
            if "Exception" in line or "Error" in line:
                return line.strip()[:500]
        return root.strip()[:500] or None

    def cancel(self, job_id: str, wait_seconds: float = 20.0) -> str | None:
        """Cancel and wait until the job has stopped; returns its last state."""
        response = requests.patch(f"{self.url}/jobs/{job_id}?mode=cancel", timeout=10)
        if response.status_code not in (200, 202, 404):
            response.raise_for_status()
        deadline = time.monotonic() + wait_seconds
        state = self.job_state(job_id)
        while state in {"RUNNING", "CANCELLING", "RESTARTING", "CREATED"}:
            if time.monotonic() > deadline:
                break
            time.sleep(0.3)
            state = self.job_state(job_id)
        return state
