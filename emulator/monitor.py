"""What the pipeline is doing, sampled: records per topic and their rates, the share of
flagged predictions, the endpoint's latency, statements, dead letters, services.

A `Sampler` reads, each call:

- the committed records of the watched topics, counted by one read-committed consumer that
  reads what arrived since the last call (payloads are not decoded; end offsets would also
  count the markers of the statements' transactions); rates are the deltas divided by the
  measured interval;
- the share of flagged predictions (the fraud rate, in the demo): only the predictions topic is
  decoded (new records only, incrementally, from the beginning of the topic), and only when
  its count says there is something new;
- a latency probe of the model endpoint: the round-trip time of `GET /` (its health route)
  timed here. It is not the scoring time (`x-ms-run-fn-exec-ms` is in the answers Flink gets,
  not visible here); it shows how quickly the endpoint's workers answer while they serve the
  pipeline;
- errors: FAILED statements (live status from their Flink jobs; the catalog is not written),
  dead-lettered rows (`<state>/dead-letters/*.tsv`, lines minus the header), and services that
  are stopped or unhealthy (`ccflink status`'s checks).

Which topics and which predictions it watches is a `Watched`: the front ends pass the demo's,
or the user's. `ccflink top` draws the snapshots (`emulator/cli/top.py`).
"""

from __future__ import annotations

import math
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from emulator import stack
from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.flink import cluster
from emulator.flink.rest import FlinkRest
from emulator.kafka.offsets import CommittedRecords
from emulator.sql.statements import refresh
from emulator.topic_reader import AvroTopicReader


@dataclass(frozen=True)
class Watched:
    """What the view watches: a pipeline's topics and the predictions whose flags it counts."""

    topics: Mapping[str, str]  # topic -> what its records are, in the order data flows
    short_names: Mapping[str, str]  # topic -> its name on the one-line output
    predictions_topic: str
    flag_column: str  # 1 where the model flagged the row (predicted_fraud in the demo)
    flagged: str = "flagged"  # what a flag means, as the screen says it ("fraud")


LATENCY_WINDOW = 60  # probes kept for p50/p95
FAILED = "FAILED"


# --- what one sample holds ------------------------------------------------------------------


@dataclass(frozen=True)
class TopicCount:
    total: int | None  # committed records; None: topic missing or unreadable
    rate: float | None  # records per second over the last interval; None: not known yet


@dataclass(frozen=True)
class Latency:
    last_ms: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    samples: int = 0  # successful probes in the window
    failures: int = 0  # failed probes in the window
    error: str | None = None  # the last probe's failure, if it failed


@dataclass(frozen=True)
class Snapshot:
    taken_at: float  # wall-clock time (time.time())
    interval: float | None  # seconds since the previous sample; None for the first
    topics: dict[str, TopicCount]
    predictions_read: int = 0
    flagged: int = 0  # predictions read whose flag column is 1
    latency: Latency = field(default_factory=Latency)
    statements: dict[str, int] = field(default_factory=dict)  # status -> count
    failed_statements: list[tuple[str, str]] = field(default_factory=list)  # (name, detail)
    dead_letters: dict[str, int] = field(default_factory=dict)  # file stem -> rows
    services_total: int = 0
    services_down: list[str] = field(default_factory=list)  # "kafka (stopped)", ...
    problems: list[str] = field(default_factory=list)  # what the sampler could not read

    @property
    def flag_rate(self) -> float | None:
        """Share of flagged predictions among those read so far."""
        return self.flagged / self.predictions_read if self.predictions_read else None

    @property
    def error_lines(self) -> list[str]:
        lines = [f"statement {name} FAILED: {detail}" for name, detail in self.failed_statements]
        lines += [f"service {name}" for name in self.services_down]
        lines += [
            f"dead letters: {n:,} in {stem}.tsv" for stem, n in self.dead_letters.items() if n
        ]
        lines += self.problems
        return lines


# --- pure computations ----------------------------------------------------------------------


def compute_rates(
    previous: Mapping[str, int | None] | None,
    current: Mapping[str, int | None],
    seconds: float | None,
) -> dict[str, float | None]:
    """Records per second per topic from two end-offset totals taken `seconds` apart.

    Unknown (None) when there is no previous sample, either total is missing, the interval is
    not positive, or the total went down (the topic was deleted and created again).
    """
    rates: dict[str, float | None] = {}
    for topic, now in current.items():
        before = None if previous is None else previous.get(topic)
        if now is None or before is None or not seconds or seconds <= 0 or now < before:
            rates[topic] = None
        else:
            rates[topic] = (now - before) / seconds
    return rates


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """Nearest-rank percentile (fraction in 0..1) of `values`; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summarize_latency(probes: Iterable[float | None], error: str | None = None) -> Latency:
    """p50/p95 of the successful probes (milliseconds); None entries are failed probes."""
    probes = list(probes)
    timings = [p for p in probes if p is not None]
    return Latency(
        last_ms=probes[-1] if probes else None,
        p50_ms=percentile(timings, 0.50),
        p95_ms=percentile(timings, 0.95),
        samples=len(timings),
        failures=len(probes) - len(timings),
        error=error,
    )


def count_dead_letters(folder: Path) -> dict[str, int]:
    """Rows per dead-letter file: its lines minus the header line."""
    counts = {}
    for path in sorted(folder.glob("*.tsv")):
        try:
            with path.open("rb") as handle:
                lines = sum(1 for _ in handle)
        except OSError:
            continue
        counts[path.name.removesuffix(".tsv")] = max(0, lines - 1)
    return counts


# --- sampling -------------------------------------------------------------------------------


class PredictionTally:
    """Predictions read so far from the predictions topic, and how many are flagged."""

    def __init__(self, open_reader: Callable[[], Any], flag_column: str) -> None:
        self._open_reader = open_reader
        self.flag_column = flag_column
        self._reader: Any = None
        self.read = 0
        self.flagged = 0

    def add(self, values: Iterable[Mapping[str, Any]]) -> None:
        for value in values:
            flag = value.get(self.flag_column)
            if flag is None:
                continue
            self.read += 1
            self.flagged += int(flag == 1)

    def update(self, end_offset: int | None, budget_seconds: float = 0.4) -> None:
        """Read what arrived, when the topic's count says something did, within the budget."""
        if not end_offset or end_offset <= self.read:
            return
        if self._reader is None:
            self._reader = self._open_reader()
        deadline = time.monotonic() + budget_seconds
        while time.monotonic() < deadline:
            batch = self._reader.poll(timeout_ms=200)
            self.add(record.value for record in batch)
            if not batch or self.read >= end_offset:
                break

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


class Sampler:
    """Takes one `Snapshot` per call; rates are relative to the previous call."""

    def __init__(
        self, settings: Settings, watched: Watched, probe_window: int = LATENCY_WINDOW
    ) -> None:
        self.settings = settings
        self.watched = watched
        self.topics = list(watched.topics)
        self._counter: CommittedRecords | None = None
        self._previous: dict[str, int | None] | None = None
        self._previous_at: float | None = None
        self._probes: deque[float | None] = deque(maxlen=probe_window)
        self._session = requests.Session()
        self.predictions = PredictionTally(self._open_predictions, watched.flag_column)

    def _open_predictions(self) -> AvroTopicReader:
        return AvroTopicReader.of(self.settings, self.watched.predictions_topic)

    # Each part returns its result and appends what went wrong to `problems`.

    def record_counts(self, problems: list[str]) -> dict[str, int | None]:
        """Committed records per topic, as a read-committed reader counts them (end offsets
        would count the transaction markers of exactly-once statements too)."""
        try:
            if self._counter is None:
                self._counter = CommittedRecords(
                    self.settings.bootstrap_servers, self.settings.kafka_security
                )
            return self._counter.update(self.topics)
        except Exception as error:
            problems.append(f"topic records: {_brief(error)}")
            return dict.fromkeys(self.topics)

    def prediction_counts(self, end_offset: int | None, problems: list[str]) -> None:
        try:
            self.predictions.update(end_offset)
        except Exception as error:
            problems.append(f"reading {self.watched.predictions_topic}: {_brief(error)}")
            self.predictions.close()  # opened again next time

    def probe(self) -> Latency:
        started = time.perf_counter()
        error = None
        try:
            response = self._session.get(f"{self.settings.model_server_url}/", timeout=2)
            response.raise_for_status()
            self._probes.append((time.perf_counter() - started) * 1000)
        except requests.RequestException as error_:
            error = _brief(error_)
            self._probes.append(None)
        return summarize_latency(self._probes, error)

    def statement_status(self, problems: list[str]) -> tuple[dict[str, int], list[tuple]]:
        try:
            catalog = Catalog.for_state(self.settings.state_dir)
            records = refresh(catalog, FlinkRest(self.settings.flink_rest_url))
        except Exception as error:
            problems.append(f"statements: {_brief(error)}")
            return {}, []
        counts = Counter(r.status for r in records)
        failed = [(r.name, r.detail or "-") for r in records if r.status == FAILED]
        return dict(counts), failed

    def services(self, problems: list[str]) -> tuple[int, list[str]]:
        try:
            rows = stack.status(self.settings)
        except Exception as error:
            problems.append(f"services: {_brief(error)}")
            return 0, []
        flink = {cluster.JOBMANAGER, cluster.TASKMANAGER}
        down = []
        for row in rows:
            if row.healthy:
                continue
            if row.running and row.name in flink and self._flink_busy():
                continue  # `status` calls a cluster without free slots unhealthy; it is busy
            down.append(f"{row.name} ({'unhealthy' if row.running else 'stopped'})")
        return len(rows), down

    def _flink_busy(self) -> bool:
        """The cluster answers with a TaskManager, all of its slots taken by running jobs."""
        try:
            overview = self._session.get(f"{self.settings.flink_rest_url}/overview", timeout=2)
            return overview.json().get("taskmanagers", 0) >= 1
        except (requests.RequestException, ValueError):
            return False

    def sample(self) -> Snapshot:
        problems: list[str] = []
        now = time.monotonic()
        totals = self.record_counts(problems)
        seconds = None if self._previous_at is None else now - self._previous_at
        rates = compute_rates(self._previous, totals, seconds)
        self._previous, self._previous_at = totals, now
        self.prediction_counts(totals.get(self.watched.predictions_topic), problems)
        latency = self.probe()
        statements, failed = self.statement_status(problems)
        services_total, services_down = self.services(problems)
        return Snapshot(
            taken_at=time.time(),
            interval=seconds,
            topics={t: TopicCount(totals.get(t), rates.get(t)) for t in self.topics},
            predictions_read=self.predictions.read,
            flagged=self.predictions.flagged,
            latency=latency,
            statements=statements,
            failed_statements=failed,
            dead_letters=count_dead_letters(self.settings.state_dir / "dead-letters"),
            services_total=services_total,
            services_down=services_down,
            problems=problems,
        )

    def close(self) -> None:
        self.predictions.close()
        if self._counter is not None:
            self._counter.close()
        self._session.close()


def _brief(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]
