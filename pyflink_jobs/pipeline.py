"""The fraud pipeline: its SQL files, the local endpoint connection, and watching its output."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emulator.catalog import Catalog, Connection
from emulator.config import Settings
from emulator.topic_reader import AvroTopicReader

SQL_DIR = Path(__file__).resolve().parent / "sql"
CONNECTION_NAME = "fraud-detection-endpoint"
PREDICTIONS_TOPIC = "fraud_predictions"


def sql_files() -> list[Path]:
    return sorted(SQL_DIR.glob("*.sql"))


def ensure_local_connection(settings: Settings) -> None:
    """Point the pipeline's connection at the local endpoint (Confluent: the Azure one)."""
    catalog = Catalog.for_state(settings.state_dir)
    catalog.connections[CONNECTION_NAME] = Connection(
        name=CONNECTION_NAME,
        type="azureml",
        endpoint=f"{settings.model_server_url}/score",
        api_key=settings.model_api_key(),
        cloud="local",
        region="local",
    )
    catalog.save()


def run_pipeline(
    settings: Settings, say: Callable[[str], None] = print, *, ml_batch_size: int = 1
) -> None:
    """Run the pipeline's SQL files; `ml_batch_size` > 1 turns on the batching extension."""
    from pyflink_jobs.session import ConfluentSession

    ensure_local_connection(settings)
    session = ConfluentSession(settings, say, ml_batch_size=ml_batch_size)
    for path in sql_files():
        say(f"==> {path.relative_to(SQL_DIR.parent.parent)}")
        session.execute_file(path)


@dataclass
class PredictionStats:
    count: int = 0
    predicted_fraud: int = 0
    labelled_fraud: int = 0
    recent: list[dict] = field(default_factory=list)

    def add(self, row: dict) -> None:
        self.count += 1
        self.predicted_fraud += int(row.get("predicted_fraud") or 0)
        self.labelled_fraud += int(row.get("isFraud") or 0)
        self.recent = [row, *self.recent][:3]

    def line(self) -> str:
        rate = self.predicted_fraud / self.count if self.count else 0.0
        return f"{self.count:,} predictions, predicted fraud rate {rate:.2%}"


@dataclass
class ArrivalWatch:
    """When to stop watching predictions: all expected arrived, or they stopped coming.

    Before the first one, wait `startup_timeout` (the jobs start their Python workers first);
    after it, `idle_timeout` without a new one: the latest transactions without an identity
    row wait for newer records, so the last few predictions do not come by themselves.
    """

    expected: int
    idle_timeout: float = 20.0
    startup_timeout: float = 180.0
    count: int = 0
    first_arrival: float | None = None  # time.monotonic() of the first prediction
    last_change: float = field(default_factory=time.monotonic)

    def seen(self, count: int) -> None:
        """Record the number of predictions seen so far."""
        if count > self.count:
            now = time.monotonic()
            self.count, self.last_change = count, now
            self.first_arrival = self.first_arrival or now

    def done(self) -> bool:
        wait = self.idle_timeout if self.first_arrival else self.startup_timeout
        return self.count >= self.expected or time.monotonic() - self.last_change > wait


def watch_predictions(
    settings: Settings, watch: ArrivalWatch, say: Callable[[str], None] = print
) -> PredictionStats:
    """Show predictions as scrolling lines as they arrive, until `watch` is done."""
    reader = AvroTopicReader(
        settings.bootstrap_servers, settings.schema_registry_url, PREDICTIONS_TOPIC
    )
    stats = PredictionStats()
    try:
        while not watch.done():
            batch = reader.poll(timeout_ms=1000)
            for record in batch:
                stats.add(record.value)
            watch.seen(stats.count)
            if batch:
                say(f"  {stats.line()}")
                for row in stats.recent[:1]:
                    probability = row.get("fraud_probability") or 0.0
                    say(
                        f"    TransactionID {row.get('TransactionID')}: "
                        f"predicted_fraud={row.get('predicted_fraud')} "
                        f"p={probability:.3f} (label isFraud={row.get('isFraud')})"
                    )
    finally:
        reader.close()
    return stats
