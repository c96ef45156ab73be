"""The few calls to Flink's REST API that statements need: job state, failure cause, stop."""

from __future__ import annotations

import re
import time

import requests

_DISTRIBUTION = re.compile(r"(sum|count|min|max)=(-?[\d.]+)")
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

    def metrics(self, job_id: str, marker: str) -> dict[str, float]:
        """Operator metrics whose name contains `marker`, summed over subtasks, by short name.

        Python functions' metrics are named `<operator>.<group>.<key>.<name>`; the result maps
        `<key>.<name>` (e.g. `fraud_detection.requests`) to the sum.
        """
        job = requests.get(f"{self.url}/jobs/{job_id}", timeout=5).json()
        totals: dict[str, float] = {}

        def add(metric_id: str, value: float) -> None:
            short = metric_id.split(f".{marker}.", 1)[-1]
            totals[short] = totals.get(short, 0.0) + value

        for vertex in job.get("vertices", []):
            vertex_url = f"{self.url}/jobs/{job_id}/vertices/{vertex['id']}"
            listed = requests.get(f"{vertex_url}/subtasks/metrics", timeout=5).json()
            names = [m["id"] for m in listed if marker in m["id"]]
            if not names:
                continue
            summed = requests.get(
                f"{vertex_url}/subtasks/metrics",
                params={"get": ",".join(names), "agg": "sum"},
                timeout=5,
            ).json()
            for metric in summed:
                add(metric["id"], float(metric["sum"]))
            # Distributions are not numbers to Flink's aggregation: read each subtask's.
            others = [n for n in names if n not in {m["id"] for m in summed}]
            for subtask in range(vertex.get("parallelism", 1) if others else 0):
                values = requests.get(
                    f"{vertex_url}/subtasks/{subtask}/metrics",
                    params={"get": ",".join(others)},
                    timeout=5,
                ).json()
                for metric in values:
                    for field, number in _DISTRIBUTION.findall(str(metric.get("value", ""))):
                        if field in {"sum", "count"}:
                            add(f"{metric['id']}_{field}", float(number))
        return totals

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
