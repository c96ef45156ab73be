"""The few calls to Flink's REST API that statements need: job state, failures, stop with
a savepoint (drained or not), the jobs the cluster knows."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import requests

from common.errors import CcflinkError

_DISTRIBUTION = re.compile(r"(sum|count|min|max)=(-?[\d.]+)")
_EXCEPTION_LINE = re.compile(r"^(Caused by: )?[\w.$]+(Error|Exception): ")
_JAVA_PACKAGES = ("java.", "javax.", "org.", "com.", "Caused by: java.", "Caused by: org.")

# Flink job states -> Confluent statement statuses.
STATUS_BY_JOB_STATE = {
    "INITIALIZING": "PENDING",
    "CREATED": "PENDING",
    "RESTARTING": "DEGRADED",
    "RECONCILING": "PENDING",
    "RUNNING": "RUNNING",
    "FAILING": "FAILING",
    "FINISHED": "COMPLETED",
    "FAILED": "FAILED",
    "CANCELLING": "STOPPING",
    "CANCELED": "STOPPED",
    "SUSPENDED": "STOPPED",
}
# States a job leaves by itself once it was told to stop.
_STOPPING_STATES = {"RUNNING", "CANCELLING", "RESTARTING", "CREATED"}
SAVEPOINT_POLL_SECONDS = 0.5


class SavepointError(CcflinkError):
    """Flink did not stop a job with a savepoint: it refused, failed, or took too long."""


class FlinkRest:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        # One kept-alive connection for all calls: the supervisor's chained commits call
        # several times a second, and a new connection per call costs both ends.
        self._http = requests.Session()

    def job_state(self, job_id: str) -> str | None:
        response = self._http.get(f"{self.url}/jobs/{job_id}", timeout=5)
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json().get("state")

    def failure(self, job_id: str) -> str | None:
        """Why a job failed, in one line, as Confluent shows a failed statement's detail."""
        response = self._http.get(f"{self.url}/jobs/{job_id}/exceptions", timeout=5)
        if not response.ok:
            return None
        data = response.json()
        entries = (data.get("exceptionHistory") or {}).get("entries") or []
        text = data.get("root-exception") or (entries[0].get("stacktrace", "") if entries else "")
        return _why(text) or None

    def metrics(self, job_id: str, marker: str) -> dict[str, float]:
        """Operator metrics whose name contains `marker`, summed over subtasks, by short name.

        Python functions' metrics are named `<operator>.<group>.<key>.<name>`; the result maps
        `<key>.<name>` (e.g. `fraud_detection.requests`) to the sum.
        """
        job = self._http.get(f"{self.url}/jobs/{job_id}", timeout=5).json()
        totals: dict[str, float] = {}

        def add(metric_id: str, value: float) -> None:
            short = metric_id.split(f".{marker}.", 1)[-1]
            totals[short] = totals.get(short, 0.0) + value

        for vertex in job.get("vertices", []):
            vertex_url = f"{self.url}/jobs/{job_id}/vertices/{vertex['id']}"
            listed = self._http.get(f"{vertex_url}/subtasks/metrics", timeout=5).json()
            names = [m["id"] for m in listed if marker in m["id"]]
            if not names:
                continue
            summed = self._http.get(
                f"{vertex_url}/subtasks/metrics",
                params={"get": ",".join(names), "agg": "sum"},
                timeout=5,
            ).json()
            for metric in summed:
                add(metric["id"], float(metric["sum"]))
            # Distributions are not numbers to Flink's aggregation: read each subtask's.
            others = [n for n in names if n not in {m["id"] for m in summed}]
            for subtask in range(vertex.get("parallelism", 1) if others else 0):
                values = self._http.get(
                    f"{vertex_url}/subtasks/{subtask}/metrics",
                    params={"get": ",".join(others)},
                    timeout=5,
                ).json()
                for metric in values:
                    for field, number in _DISTRIBUTION.findall(str(metric.get("value", ""))):
                        if field in {"sum", "count"}:
                            add(f"{metric['id']}_{field}", float(number))
        return totals

    def throughput(self, job_id: str) -> dict[str, float]:
        """What a running job moves: records its first operator sent on and its last one took
        in, in all and per second (Flink's meters, a one-minute rate), summed over subtasks."""
        vertices = self._http.get(f"{self.url}/jobs/{job_id}", timeout=5).json().get("vertices", [])
        if not vertices:
            return {}

        def summed(vertex: dict[str, Any], metric: str) -> float:
            answer = self._http.get(
                f"{self.url}/jobs/{job_id}/vertices/{vertex['id']}/subtasks/metrics",
                params={"get": metric, "agg": "sum"},
                timeout=5,
            ).json()
            return float(answer[0]["sum"]) if answer else 0.0

        first, last = vertices[0], vertices[-1]
        return {
            "read": summed(first, "numRecordsOut"),
            "read_per_second": summed(first, "numRecordsOutPerSecond"),
            "written": summed(last, "numRecordsIn"),
            "written_per_second": summed(last, "numRecordsInPerSecond"),
        }

    def cancel(self, job_id: str, wait_seconds: float = 20.0) -> str | None:
        """Cancel and wait until the job has stopped; returns its last state."""
        response = self._http.patch(f"{self.url}/jobs/{job_id}?mode=cancel", timeout=10)
        if response.status_code not in (200, 202, 404):
            response.raise_for_status()
        return self.wait_until_stopped(job_id, wait_seconds)

    def wait_until_stopped(self, job_id: str, wait_seconds: float = 20.0) -> str | None:
        """Wait for a job told to stop to leave its running states; returns its last state."""
        deadline = time.monotonic() + wait_seconds
        state = self.job_state(job_id)
        while state in _STOPPING_STATES and time.monotonic() < deadline:
            time.sleep(0.3)
            state = self.job_state(job_id)
        return state

    def stop_with_savepoint(
        self, job_id: str, target_directory: str, *, drain: bool, wait_seconds: float = 300.0
    ) -> str:
        """Stop a job with a savepoint (`flink stop`); returns the savepoint's location.

        The savepoint is synchronous with the stop: Kafka sinks commit what they wrote before
        the job ends, so a statement resumed from it neither loses nor repeats a record.
        `drain` first advances the watermark to the end (`flink stop --drain`): every timer
        fires, so every row held back for the watermark (a LEFT interval join's unmatched
        rows) is emitted, and the job cannot be resumed. Flink answers the stop request with
        a trigger id at once; the savepoint is done when the trigger's status is COMPLETED,
        with a location or a failure cause.
        """
        response = self._http.post(
            f"{self.url}/jobs/{job_id}/stop",
            json={"drain": drain, "targetDirectory": target_directory},
            timeout=10,
        )
        if not response.ok:
            raise SavepointError(
                f"Flink refused to stop job {job_id} with a savepoint: {_errors(response)}"
            )
        trigger = response.json()["request-id"]
        deadline = time.monotonic() + wait_seconds
        while True:
            status = self._http.get(f"{self.url}/jobs/{job_id}/savepoints/{trigger}", timeout=5)
            if not status.ok:
                raise SavepointError(f"stopping job {job_id}: {_errors(status)}")
            body = status.json()
            if body["status"]["id"] == "COMPLETED":
                return _savepoint_location(job_id, body.get("operation") or {})
            if time.monotonic() > deadline:
                raise SavepointError(
                    f"job {job_id} was not stopped after {wait_seconds:.0f} s (its savepoint "
                    "is still in progress); `ccflink logs flink-jobmanager`"
                )
            time.sleep(SAVEPOINT_POLL_SECONDS)

    def job_ids(self) -> set[str]:
        """Every job the cluster knows, whatever its state."""
        response = self._http.get(f"{self.url}/jobs", timeout=5)
        response.raise_for_status()
        return {job["id"] for job in response.json().get("jobs", [])}

    def running_job_ids(self) -> set[str]:
        """The jobs running now."""
        response = self._http.get(f"{self.url}/jobs", timeout=5)
        response.raise_for_status()
        return {job["id"] for job in response.json().get("jobs", []) if job["status"] == "RUNNING"}

    def plan(self, job_id: str) -> dict[str, Any]:
        """The job's plan: its vertices, each with the operators' description."""
        response = self._http.get(f"{self.url}/jobs/{job_id}/plan", timeout=5)
        response.raise_for_status()
        return response.json()["plan"]

    def latest_completed_checkpoint(self, job_id: str) -> int | None:
        """The id of the job's latest completed checkpoint, None before its first."""
        response = self._http.get(f"{self.url}/jobs/{job_id}/checkpoints", timeout=5)
        response.raise_for_status()
        completed = (response.json().get("latest") or {}).get("completed")
        return None if not completed else int(completed["id"])

    def trigger_checkpoint(self, job_id: str) -> None:
        """Ask for a checkpoint now (besides the periodic ones); Flink answers at once."""
        response = self._http.post(f"{self.url}/jobs/{job_id}/checkpoints", json={}, timeout=5)
        response.raise_for_status()

    def exceptions(self, job_id: str) -> list[JobException]:
        """The job's failures, newest first, each as its time and the line that says why."""
        response = self._http.get(f"{self.url}/jobs/{job_id}/exceptions", timeout=5)
        if not response.ok:
            return []
        entries = (response.json().get("exceptionHistory") or {}).get("entries") or []
        return [
            JobException(int(entry.get("timestamp") or 0), _why(entry.get("stacktrace") or ""))
            for entry in entries
        ]


@dataclass(frozen=True)
class JobException:
    timestamp_ms: int
    message: str


def _why(stacktrace: str) -> str:
    """The line of a Java stack trace that says what went wrong; a Python function's own error
    (a Python exception class, not a Java one) says more than the Java wrapper around it."""
    lines = [line.strip() for line in stacktrace.splitlines()]
    exceptions = [line for line in lines if _EXCEPTION_LINE.match(line)]
    python = [line for line in exceptions if not line.startswith(_JAVA_PACKAGES)]
    chosen = (python or exceptions or [line for line in lines if line] or [""])[-1]
    return chosen[:1000]


def _errors(response: requests.Response) -> str:
    """What Flink's REST API says went wrong: its `errors` list, else the status line."""
    try:
        errors = response.json().get("errors") or []
    except ValueError:
        errors = []
    first = str(errors[0]).strip().splitlines()[0] if errors else ""
    return first[:500] or f"HTTP {response.status_code} {response.reason}"


def _savepoint_location(job_id: str, operation: dict) -> str:
    """The finished savepoint's location, or its failure cause as a SavepointError."""
    failure = operation.get("failure-cause")
    if failure is not None or not operation.get("location"):
        cause = (failure or {}).get("stack-trace") or "no location reported"
        raise SavepointError(f"the savepoint stopping job {job_id} failed: {cause.splitlines()[0]}")
    return operation["location"]
