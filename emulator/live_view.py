"""`ccflink top`: the pipeline at a glance, redrawn once a second instead of scrolling logs.

A `Sampler` reads, each interval:

- end offsets (summed over partitions) of the pipeline's topics, with one metadata request and
  one batched ListOffsets request; rates are the deltas divided by the measured interval. No
  payload is read for these counts;
- the predicted fraud rate: only `fraud_predictions` is read (new records only, incrementally,
  from the beginning of the topic), and only when its end offset says there is something new;
- a latency probe of the model endpoint: the round-trip time of `GET /` (its health route)
  timed here. It is not the scoring time (`x-ms-run-fn-exec-ms` is in the answers Flink gets,
  not visible here); it shows how quickly the endpoint's workers answer while they serve the
  pipeline, and is labelled as such on screen;
- errors: FAILED statements (live status from their Flink jobs; the catalog is not written),
  dead-lettered rows (`<state>/dead-letters/*.tsv`, lines minus the header), and services that
  are stopped or unhealthy (`ccflink status`'s checks).

`render(snapshot)` is a pure function: a fixed-height screen, redrawn in place with ANSI
escapes when the output is a terminal; otherwise `render_line(snapshot)` writes one line per
interval (logs, pipes, CI).
"""

from __future__ import annotations

import logging
import math
import shutil
import sys
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import requests

from emulator.catalog import Catalog
from emulator.config import Settings

# The pipeline's topics, in the order data flows through them, with what their records are.
TOPICS: dict[str, str] = {
    "transactions": "records produced",
    "identities": "records produced",
    "transactions_enriched": "rows joined",
    "transactions_features": "rows with features",
    "fraud_predictions": "predictions",
}
PREDICTIONS_TOPIC = "fraud_predictions"
LATENCY_LABEL = "endpoint round-trip (probe: GET /)"
LATENCY_WINDOW = 60  # probes kept for p50/p95
ERROR_LINES = 4  # fixed number of error lines on screen, so the screen keeps its height
FAILED = "FAILED"


# --- what one sample holds ------------------------------------------------------------------


@dataclass(frozen=True)
class TopicCount:
    total: int | None  # end offset summed over partitions; None: topic missing or unreadable
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
    predicted_fraud: int = 0
    latency: Latency = field(default_factory=Latency)
    statements: dict[str, int] = field(default_factory=dict)  # status -> count
    failed_statements: list[tuple[str, str]] = field(default_factory=list)  # (name, detail)
    dead_letters: dict[str, int] = field(default_factory=dict)  # file stem -> rows
    services_total: int = 0
    services_down: list[str] = field(default_factory=list)  # "kafka (stopped)", ...
    problems: list[str] = field(default_factory=list)  # what the sampler could not read

    @property
    def fraud_rate(self) -> float | None:
        """Share of predicted_fraud = 1 among the predictions read so far."""
        return self.predicted_fraud / self.predictions_read if self.predictions_read else None

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


# --- rendering ------------------------------------------------------------------------------


def _number(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}/s"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f} ms"


def _fraud(snapshot: Snapshot) -> str:
    rate = snapshot.fraud_rate
    if rate is None:
        return "- (no predictions read yet)"
    total = snapshot.topics.get(PREDICTIONS_TOPIC, TopicCount(None, None)).total
    of = f" of {total:,}" if total is not None and total > snapshot.predictions_read else ""
    return (
        f"{rate:.2%} predicted fraud ({snapshot.predicted_fraud:,} of "
        f"{snapshot.predictions_read:,} predictions read{of})"
    )


def _latency(latency: Latency) -> str:
    if latency.samples == 0 and latency.failures == 0:
        return "-"
    last = "failed" if latency.error else _ms(latency.last_ms)
    text = (
        f"last {last}, p50 {_ms(latency.p50_ms)}, p95 {_ms(latency.p95_ms)} "
        f"(last {latency.samples + latency.failures} probes"
    )
    if latency.failures:
        text += f", {latency.failures} failed"
    return text + ")"


def _statements(statements: Mapping[str, int]) -> str:
    if not statements:
        return "none"
    return ", ".join(f"{count} {status}" for status, count in sorted(statements.items()))


def _clip(line: str, width: int | None) -> str:
    if width is None or len(line) <= width:
        return line
    return line[: max(0, width - 1)] + "…"


def render(snapshot: Snapshot, width: int | None = None) -> str:
    """The screen: always the same number of lines, each at most `width` characters."""
    stamp = datetime.fromtimestamp(snapshot.taken_at).strftime("%H:%M:%S")
    lines = [
        f"ccflink top  {stamp}  (Ctrl-C to quit)",
        "",
        f"{'topic':<23} {'records':>12} {'rate':>12}  what",
    ]
    for topic, what in TOPICS.items():
        count = snapshot.topics.get(topic, TopicCount(None, None))
        lines.append(f"{topic:<23} {_number(count.total):>12} {_rate(count.rate):>12}  {what}")
    down = len(snapshot.services_down)
    healthy = snapshot.services_total - down
    dead = sum(snapshot.dead_letters.values())
    lines += [
        "",
        f"{'fraud rate':<16}{_fraud(snapshot)}",
        f"{'model latency':<16}{LATENCY_LABEL}: {_latency(snapshot.latency)}",
        f"{'services':<16}{healthy}/{snapshot.services_total} healthy",
        f"{'statements':<16}{_statements(snapshot.statements)}",
        f"{'dead letters':<16}{dead:,} rows",
        f"{'errors':<16}{len(snapshot.error_lines) or 'none'}",
    ]
    errors = snapshot.error_lines
    shown = errors[:ERROR_LINES]
    if len(errors) > ERROR_LINES:
        shown = [*errors[: ERROR_LINES - 1], f"... and {len(errors) - ERROR_LINES + 1} more"]
    lines += [f"  {line}" for line in shown]
    lines += [""] * (ERROR_LINES - len(shown))
    return "\n".join(_clip(line, width) for line in lines)


SCREEN_HEIGHT = render(Snapshot(taken_at=0.0, interval=None, topics={})).count("\n") + 1


def render_line(snapshot: Snapshot) -> str:
    """One line per interval, for output that is not a terminal."""
    stamp = datetime.fromtimestamp(snapshot.taken_at).strftime("%H:%M:%S")
    short = {
        "transactions": "tx",
        "identities": "id",
        "transactions_enriched": "joined",
        "transactions_features": "features",
        "fraud_predictions": "predictions",
    }
    parts = [stamp]
    for topic, name in short.items():
        count = snapshot.topics.get(topic, TopicCount(None, None))
        parts.append(f"{name} {_number(count.total)} ({_rate(count.rate)})")
    rate = snapshot.fraud_rate
    parts.append(f"fraud {'-' if rate is None else f'{rate:.2%}'}")
    latency = snapshot.latency
    parts.append(f"probe p50 {_ms(latency.p50_ms)} p95 {_ms(latency.p95_ms)}")
    errors = snapshot.error_lines
    parts.append(f"errors {len(errors)}" + (f" ({errors[0]})" if errors else ""))
    return " | ".join(parts)


# --- sampling -------------------------------------------------------------------------------


class _ReadOnlyCatalog(Catalog):
    """The catalog as `statement list` refreshes it, never written back: `make up`'s session
    may be adding statements to the same file while this view runs."""

    def save(self) -> None:
        pass


class EndOffsets:
    """Total end offset per topic: one metadata request and one batched ListOffsets."""

    def __init__(self, bootstrap_servers: str, timeout: float = 2.0) -> None:
        from confluent_kafka.admin import AdminClient

        self.timeout = timeout
        self.last_error: str | None = None
        quiet = logging.getLogger("ccflink.top.librdkafka")
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        self._admin = AdminClient(
            {
                "bootstrap.servers": bootstrap_servers,
                "logger": quiet,  # librdkafka's connection errors must not scroll the screen
                "error_cb": self._on_error,
            }
        )

    def _on_error(self, error: Any) -> None:
        self.last_error = str(error)

    def totals(self, topics: Iterable[str]) -> dict[str, int | None]:
        from confluent_kafka import TopicPartition
        from confluent_kafka.admin import OffsetSpec

        topics = list(topics)
        metadata = self._admin.list_topics(timeout=self.timeout)  # raises when unreachable
        request = {}
        for topic in topics:
            info = metadata.topics.get(topic)
            if info is None or info.error is not None:
                continue
            for partition in info.partitions:
                request[TopicPartition(topic, partition)] = OffsetSpec.latest()
        totals: dict[str, int | None] = dict.fromkeys(topics)
        if not request:
            return totals
        futures = self._admin.list_offsets(request, request_timeout=self.timeout)
        for partition, future in futures.items():
            offset = future.result(timeout=self.timeout + 1).offset
            totals[partition.topic] = (totals[partition.topic] or 0) + max(0, offset)
        return totals


class FraudTally:
    """Predictions read so far from `fraud_predictions`, and how many say fraud."""

    def __init__(self, open_reader: Callable[[], Any]) -> None:
        self._open_reader = open_reader
        self._reader: Any = None
        self.read = 0
        self.fraud = 0

    def add(self, values: Iterable[Mapping[str, Any]]) -> None:
        for value in values:
            predicted = value.get("predicted_fraud")
            if predicted is None:
                continue
            self.read += 1
            self.fraud += int(predicted == 1)

    def update(self, end_offset: int | None, budget_seconds: float = 0.4) -> None:
        """Read what arrived, when the end offset says something did, within the budget."""
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
        self,
        settings: Settings,
        probe_window: int = LATENCY_WINDOW,
        topics: Iterable[str] = tuple(TOPICS),
    ) -> None:
        self.settings = settings
        self.topics = list(topics)
        self._offsets: EndOffsets | None = None
        self._previous: dict[str, int | None] | None = None
        self._previous_at: float | None = None
        self._probes: deque[float | None] = deque(maxlen=probe_window)
        self._session = requests.Session()
        self.fraud = FraudTally(self._open_predictions)

    def _open_predictions(self) -> Any:
        from emulator.topic_reader import AvroTopicReader

        return AvroTopicReader(
            self.settings.bootstrap_servers, self.settings.schema_registry_url, PREDICTIONS_TOPIC
        )

    # Each part returns its result and appends what went wrong to `problems`.

    def end_offsets(self, problems: list[str]) -> dict[str, int | None]:
        try:
            if self._offsets is None:
                self._offsets = EndOffsets(self.settings.bootstrap_servers)
            return self._offsets.totals(self.topics)
        except Exception as error:
            problems.append(f"topic offsets: {_brief(error)}")
            return dict.fromkeys(self.topics)

    def fraud_counts(self, end_offset: int | None, problems: list[str]) -> None:
        try:
            self.fraud.update(end_offset)
        except Exception as error:
            problems.append(f"reading {PREDICTIONS_TOPIC}: {_brief(error)}")
            self.fraud.close()  # opened again next time

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
        from emulator.flink.rest import FlinkRest
        from emulator.sql.statements import refresh

        try:
            catalog = _ReadOnlyCatalog(self.settings.state_dir / "catalog.json")
            records = refresh(catalog, FlinkRest(self.settings.flink_rest_url))
        except Exception as error:
            problems.append(f"statements: {_brief(error)}")
            return {}, []
        counts = Counter(r.status for r in records)
        failed = [(r.name, r.detail or "-") for r in records if r.status == FAILED]
        return dict(counts), failed

    def services(self, problems: list[str]) -> tuple[int, list[str]]:
        from emulator import stack
        from emulator.flink import cluster

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
        totals = self.end_offsets(problems)
        seconds = None if self._previous_at is None else now - self._previous_at
        rates = compute_rates(self._previous, totals, seconds)
        self._previous, self._previous_at = totals, now
        self.fraud_counts(totals.get(PREDICTIONS_TOPIC), problems)
        latency = self.probe()
        statements, failed = self.statement_status(problems)
        services_total, services_down = self.services(problems)
        return Snapshot(
            taken_at=time.time(),
            interval=seconds,
            topics={t: TopicCount(totals.get(t), rates.get(t)) for t in self.topics},
            predictions_read=self.fraud.read,
            predicted_fraud=self.fraud.fraud,
            latency=latency,
            statements=statements,
            failed_statements=failed,
            dead_letters=count_dead_letters(self.settings.state_dir / "dead-letters"),
            services_total=services_total,
            services_down=services_down,
            problems=problems,
        )

    def close(self) -> None:
        self.fraud.close()
        self._session.close()


def _brief(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200]


# --- the loop -------------------------------------------------------------------------------

CLEAR = "\x1b[2J"
HOME = "\x1b[H"
ERASE_LINE = "\x1b[K"
ERASE_BELOW = "\x1b[J"
HIDE_CURSOR = "\x1b[?25l"
SHOW_CURSOR = "\x1b[?25h"


def frame(snapshot: Snapshot, width: int | None) -> str:
    """One redraw: home, each line erased to its end, and whatever was below erased."""
    body = "\n".join(line + ERASE_LINE for line in render(snapshot, width).split("\n"))
    return HOME + body + "\n" + ERASE_BELOW


@contextmanager
def _quiet_topic_reader(active: bool):
    """The predictions' reader logs librdkafka's warnings when the broker goes away; they would
    land on stderr, over the screen."""
    logger = logging.getLogger("emulator.topic_reader")  # the reader's LOG
    level = logger.level
    if active:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_top(
    settings: Settings,
    interval: float = 1.0,
    duration: float | None = None,
    out: TextIO = sys.stdout,
    until: Callable[[Snapshot], bool] | None = None,
    sampler: Sampler | None = None,
) -> int:
    """Sample every `interval` seconds and show it, for `duration` seconds (None: until
    Ctrl-C) or until `until(snapshot)` holds. Returns 0, also on Ctrl-C."""
    tty = bool(getattr(out, "isatty", lambda: False)())
    sampler = sampler or Sampler(settings)
    started = time.monotonic()
    next_tick = started
    snapshot: Snapshot | None = None
    try:
        with _quiet_topic_reader(tty):
            if tty:
                out.write(HIDE_CURSOR + CLEAR)
            while True:
                snapshot = sampler.sample()
                if tty:
                    width = shutil.get_terminal_size((100, 24)).columns
                    out.write(frame(snapshot, width))
                else:
                    out.write(render_line(snapshot) + "\n")
                out.flush()
                if until is not None and until(snapshot):
                    break
                next_tick += interval
                if duration is not None and next_tick - started >= duration:
                    break
                delay = next_tick - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    next_tick = time.monotonic()  # a slow sample: no burst of catch-up samples
    except KeyboardInterrupt:
        pass
    finally:
        sampler.close()
        if tty:
            out.write(SHOW_CURSOR)
            out.flush()
    return 0
