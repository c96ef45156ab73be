"""The demo's run: the pipeline's statements, the replay, and watching predictions arrive."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emulator.catalog import Catalog, Connection
from emulator.config import Settings
from emulator.demo import complete
from emulator.demo.names import (
    CONNECTION_NAME,
    DEMO_SEED,
    FEATURES_TABLE,
    JOIN_TABLE,
    KEY_COLUMN,
    LABEL_COLUMN,
    MODEL_NAME,
    PREDICTION_COLUMN,
    PREDICTIONS_TOPIC,
    SCORE_COLUMN,
    SOURCE_TOPICS,
)
from emulator.results.metrics import evaluate
from emulator.results.metrics_text import format_metrics
from emulator.results.topic import load_topic
from emulator.sql.session import Session
from emulator.topic_reader import AvroTopicReader
from producers.produce import TopicSummary, produce_dataset
from producers.synthetic import generate
from pyflink_jobs import PIPELINE_SQL_DIR

Say = Callable[[str], None]
# The tables and the model the pipeline's SQL creates.
PIPELINE_OBJECTS = re.compile(
    r"\b("
    + "|".join([*SOURCE_TOPICS, JOIN_TABLE, FEATURES_TABLE, MODEL_NAME, PREDICTIONS_TOPIC])
    + r")\b"
)


def sql_files() -> list[Path]:
    return sorted(PIPELINE_SQL_DIR.glob("*.sql"))


def prefixed_sql(sql: str, prefix: str) -> str:
    """The pipeline's SQL with its tables and model renamed `<prefix><name>`: a second copy
    that runs beside the first on one stack (tests, benchmarks)."""
    return PIPELINE_OBJECTS.sub(lambda match: prefix + match.group(0), sql)


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


def run_pipeline(settings: Settings, say: Say = print, *, ml_batch_size: int = 1) -> None:
    """Run the pipeline's SQL files; `ml_batch_size` > 1 turns on the batching extension."""
    ensure_local_connection(settings)
    session = Session(settings, say, ml_batch_size=ml_batch_size)
    for path in sql_files():
        say(f"==> {path.relative_to(PIPELINE_SQL_DIR.parent.parent)}")
        for result in session.run_script(path.read_text(), str(path)):
            say(f"  [{result.name}] {result.message}")


def pipeline_ran(settings: Settings) -> bool:
    """Whether this state folder's catalog already has the pipeline's output table."""
    return PREDICTIONS_TOPIC in Catalog.for_state(settings.state_dir).tables


def demo_data(settings: Settings, rows: int, say: Say = print) -> Path:
    """The synthetic IEEE-CIS twin `make up` replays, generated once per row count."""
    data_dir = settings.data_dir / f"synthetic-{rows}-seed{DEMO_SEED}"
    if not (data_dir / "train_identity.csv").exists():
        say(f"==> Generating {rows:,} synthetic IEEE-CIS transactions into {data_dir}")
        generate(rows, data_dir, seed=DEMO_SEED)
    return data_dir


def replay(settings: Settings, data_dir: Path, say: Say = print, **options) -> list[TopicSummary]:
    """Produce the two CSV files to the source topics; `options` are produce_dataset's."""
    say(f"==> Producing {data_dir} to topics {' and '.join(SOURCE_TOPICS)}")
    summaries = produce_dataset(
        settings.bootstrap_servers,
        settings.schema_registry_url,
        data_dir,
        settings.state_dir / "dead-letters",
        **options,
    )
    for summary in summaries:
        say(f"  {summary.line()}")
    return summaries


@dataclass
class PredictionStats:
    count: int = 0
    predicted_fraud: int = 0
    labelled_fraud: int = 0
    recent: list[dict] = field(default_factory=list)

    def add(self, row: dict) -> None:
        self.count += 1
        self.predicted_fraud += int(row.get(PREDICTION_COLUMN) or 0)
        self.labelled_fraud += int(row.get(LABEL_COLUMN) or 0)
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
    # Looked up at creation (not bound once), so a test's clock applies to it too.
    last_change: float = field(default_factory=lambda: time.monotonic())

    def seen(self, count: int) -> None:
        """Record the number of predictions seen so far."""
        if count > self.count:
            now = time.monotonic()
            self.count, self.last_change = count, now
            self.first_arrival = self.first_arrival or now

    def done(self) -> bool:
        wait = self.idle_timeout if self.first_arrival else self.startup_timeout
        return self.count >= self.expected or time.monotonic() - self.last_change > wait

    def expect_more(self) -> None:
        """Wait again: the statements were just told to emit the rows they held back."""
        self.last_change = time.monotonic()


def watch_predictions(settings: Settings, watch: ArrivalWatch, say: Say = print) -> PredictionStats:
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
                    probability = row.get(SCORE_COLUMN) or 0.0
                    say(
                        f"    {KEY_COLUMN} {row.get(KEY_COLUMN)}: "
                        f"{PREDICTION_COLUMN}={row.get(PREDICTION_COLUMN)} "
                        f"p={probability:.3f} (label {LABEL_COLUMN}={row.get(LABEL_COLUMN)})"
                    )
    finally:
        reader.close()
    return stats


def run_demo(
    settings: Settings,
    follow: Callable[[ArrivalWatch], None],
    say: Say = print,
    *,
    rows: int,
    data_dir: Path | None,
    replay_options: dict,
    ml_batch_size: int,
    up_started: float,
    until_complete: bool = False,
) -> None:
    """`make up`'s demo: the statements (once per state folder), a replay (the Kaggle files
    in `data_dir`, else `rows` synthetic ones), `follow(watch)` showing predictions until they
    all came or stopped coming, then how many came and the model's quality on them.

    `until_complete`: once predictions stop coming, drain the join (`complete.finish_replay`)
    and follow the predictions of the transactions it held back, so every one is scored.
    """
    if pipeline_ran(settings):
        say("==> Pipeline statements already ran in this state folder; not submitting again")
    else:
        run_pipeline(settings, say, ml_batch_size=ml_batch_size)
    summaries = replay(settings, data_dir or demo_data(settings, rows, say), say, **replay_options)
    transactions = summaries[0].sent
    say(f"==> Predictions from topic {PREDICTIONS_TOPIC} as they arrive")
    watch = ArrivalWatch(expected=transactions)
    follow(watch)
    drained = False
    if until_complete and watch.count < transactions:
        drained = bool(complete.finish_replay(settings, say))
        if drained:
            say(f"==> Predictions of the transactions the join held back, from {PREDICTIONS_TOPIC}")
            watch.expect_more()
            follow(watch)
    say(f"{watch.count:,} predictions for {transactions:,} transactions.")
    if watch.first_arrival is not None:
        say(f"First prediction {watch.first_arrival - up_started:.0f} s after `up` started.")
    for line in complete.unscored_lines(settings, transactions, watch.count, drained=drained):
        say(f"  {line}")
    say_model_quality(settings, say)


def say_model_quality(settings: Settings, say: Say = print) -> None:
    """An ML_EVALUATE-style summary of the predictions against the transactions' isFraud."""
    rows = load_topic(
        PREDICTIONS_TOPIC, settings.bootstrap_servers, settings.schema_registry_url, 2.0
    )
    metrics = evaluate(
        rows, label=LABEL_COLUMN, prediction=PREDICTION_COLUMN, probability=SCORE_COLUMN
    )
    say(format_metrics(metrics, title=f"==> Model quality on {PREDICTIONS_TOPIC}"))
