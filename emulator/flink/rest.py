"""The few calls to Flink's REST API that statements need: job state, failure cause, stop."""

from __future__ import annotations

import re
import time

import requests

_EXCEPTION_LINE = re.compile(r"^(Caused by: )?[\w.$]+(Error|Exception): ")
_JAVA_PACKAGES = ("java.", "javax.", "org.", "com.", "Caused by: java.", "Caused by: org.")

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
        """Why a job failed, in one line, as Confluent shows a failed statement's detail.

        A Python function's error is inside the Java stack trace; its own line (a Python
        exception class, not a Java one) says more than the Java wrapper around it.
        """
        response = requests.get(f"{self.url}/jobs/{job_id}/exceptions", timeout=5)
        if not response.ok:
            return None
        data = response.json()
        entries = (data.get("exceptionHistory") or {}).get("entries") or []
        text = data.get("root-exception") or (entries[0].get("stacktrace", "") if entries else "")
        lines = [line.strip() for line in text.splitlines()]
        exceptions = [line for line in lines if _EXCEPTION_LINE.match(line)]
        python = [line for line in exceptions if not line.startswith(_JAVA_PACKAGES)]
        chosen = (python or exceptions or [line for line in lines if line] or [None])[-1]
        return chosen[:1000] if chosen else None

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
