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
    REPLAY_AGAIN_FLAG,
    SCORE_COLUMN,
    SOURCE_TOPICS,
)
from emulator.kafka.offsets import EndOffsets
from emulator.results.metrics import evaluate
from emulator.results.metrics_text import format_metrics
from emulator.results.topic import load_topic
from emulator.sql.session import Session
from emulator.tables import ISOLATION_OPTION
from emulator.topic_reader import AvroTopicReader
from producers.produce import (
    TRANSACTIONS,
    Split,
    TopicSummary,
    data_files,
    produce_dataset,
)
from producers.synthetic import generate
from pyflink_jobs import PIPELINE_SQL_DIR

Say = Callable[[str], None]
TRANSACTIONS_TOPIC = SOURCE_TOPICS[0]
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


def run_pipeline(
    settings: Settings, say: Say = print, *, ml_batch_size: int = 1, read_uncommitted: bool = False
) -> None:
    """Run the pipeline's SQL files; `ml_batch_size` > 1 turns on the batching extension.

    `read_uncommitted`: the statements read what the earlier ones write before its commit, as
    a Confluent user gets it with ALTER TABLE (set here between the files, which stay as they
    are): a row then waits for no checkpoint on its way, and may be one a restart takes back.
    """
    ensure_local_connection(settings)
    session = Session(settings, say, ml_batch_size=ml_batch_size)
    uncommitted: set[str] = set()
    for path in sql_files():
        say(f"==> {path.relative_to(PIPELINE_SQL_DIR.parent.parent)}")
        for result in session.run_script(path.read_text(), str(path)):
            say(f"  [{result.name}] {result.message}")
        if not read_uncommitted:
            continue
        written = set(Catalog.for_state(settings.state_dir).tables) & {JOIN_TABLE, FEATURES_TABLE}
        for table in sorted(written - uncommitted):
            alter = f"ALTER TABLE `{table}` SET ('{ISOLATION_OPTION}' = 'read-uncommitted');"
            for result in session.run_script(alter, "read uncommitted"):
                say(f"  [{result.name}] {result.message}")
        uncommitted |= written


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
        client_config=settings.kafka_security,
        registry_auth=settings.registry_auth,
    )
    for summary in summaries:
        say(f"  {summary.line()}")
    return summaries


@dataclass(frozen=True)
class TopicsBefore:
    """The demo's topics' end offsets per partition when a run began: what an earlier run left
    there, and where what this run produces starts. A topic that did not exist has none."""

    partitions: dict[str, dict[int, int]]
    # Committed records of the topics statements write (their offsets count markers too).
    committed: dict[str, int | None] = field(default_factory=dict)

    def records(self, topic: str) -> int:
        if topic in self.committed:
            return self.committed[topic] or 0
        return sum(self.partitions.get(topic, {}).values())


def topics_before(settings: Settings) -> TopicsBefore:
    """End offsets of the sources, the join and the predictions, and the records the statements
    committed to the last two (read, since their offsets also count transaction markers)."""
    topics = [*SOURCE_TOPICS, JOIN_TABLE, PREDICTIONS_TOPIC]
    offsets = EndOffsets(settings.bootstrap_servers, security=settings.kafka_security)
    return TopicsBefore(offsets.partitions(topics), offsets.committed(topics[2:]))


def dataset_rows(data_dir: Path | None, rows: int, split: Split | None = None) -> int | None:
    """The transactions a replay would send: `rows` synthetic ones, else the lines of the Kaggle
    transactions file (counted, not parsed); None when that file is missing."""
    if data_dir is None:
        return rows
    path = data_dir / TRANSACTIONS.for_split(data_files(data_dir, split)).csv_file
    if not path.is_file():
        return None
    lines, last = 0, b"\n"
    with path.open("rb") as csv_file:
        while chunk := csv_file.read(1 << 20):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return max(0, lines + (last != b"\n") - 1)  # a last line without newline; the header


def already_replayed(before: TopicsBefore, dataset: int | None) -> str | None:
    """Why this run does not replay: the source topics already hold records, and a second copy
    would be joined and scored again. None when they are empty (or do not exist yet)."""
    held = {topic: before.records(topic) for topic in SOURCE_TOPICS}
    if not any(held.values()):
        return None
    count = held[TRANSACTIONS_TOPIC]
    others = ", ".join(f"{t}: {n:,}" for t, n in held.items() if t != TRANSACTIONS_TOPIC)
    if dataset is None or count == dataset:
        compared = "" if dataset is None else f", as many as the {dataset:,} rows to replay"
    elif count > dataset:
        compared = f", more than the {dataset:,} rows to replay"
    else:
        compared = f", fewer than the {dataset:,} rows to replay (an interrupted or smaller one)"
    return (
        f"Topic {TRANSACTIONS_TOPIC} already holds {count:,} records ({others}) from an earlier "
        f"replay{compared}; not replaying them again (pass {REPLAY_AGAIN_FLAG} to replay "
        "anyway: a second copy, joined and scored again)"
    )


@dataclass(frozen=True)
class RunScope:
    """The transactions a run's summary is about, and what of them was there before it."""

    transactions: int
    new: bool  # the statements score them during this run (replayed now, or just submitted)
    scored_before: int = 0  # their predictions already in the topic when the run began
    joined_before: int = 0  # the join's rows that are not theirs


def run_scope(before: TopicsBefore, sent: int | None, *, submitted: bool) -> RunScope:
    """`sent`: the transactions this run replayed (None: it did not replay)."""
    if sent is not None:
        return RunScope(sent, new=True, joined_before=before.records(JOIN_TABLE))
    held = before.records(TRANSACTIONS_TOPIC)
    if submitted:  # statements just created read the topics from their start
        return RunScope(held, new=True, joined_before=before.records(JOIN_TABLE))
    return RunScope(held, new=False, scored_before=before.records(PREDICTIONS_TOPIC))


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
    # The predictions topic's end offset per partition when the run began: what it counts
    # starts there, so an earlier run's predictions are not counted again.
    start_offsets: dict[int, int] = field(default_factory=dict)
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

    def seen_in_topic(self, total: int) -> None:
        """Record the predictions topic's total: this run's are those past `start_offsets`."""
        self.seen(total - sum(self.start_offsets.values()))

    def done(self) -> bool:
        wait = self.idle_timeout if self.first_arrival else self.startup_timeout
        return self.count >= self.expected or time.monotonic() - self.last_change > wait

    def expect_more(self) -> None:
        """Wait again: the statements were just told to emit the rows they held back."""
        self.last_change = time.monotonic()


def watch_predictions(settings: Settings, watch: ArrivalWatch, say: Say = print) -> PredictionStats:
    """Show predictions as scrolling lines as they arrive (from `watch.start_offsets`: this
    run's), until `watch` is done."""
    reader = AvroTopicReader.of(settings, PREDICTIONS_TOPIC, start_offsets=watch.start_offsets)
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
    replay_again: bool = False,
) -> None:
    """`make up`'s demo: the statements (once per state folder), a replay (the Kaggle files
    in `data_dir`, else `rows` synthetic ones), `follow(watch)` showing predictions until they
    all came or stopped coming, then how many came and the model's quality on them.

    Run again, it does not replay into source topics that already hold records (a second copy
    would be scored again) unless `replay_again`; it reports what the topics hold instead. It
    counts predictions from the topic's end offsets when it began: its summary is this run's.

    `until_complete`: once predictions stop coming, drain the join (`complete.finish_replay`)
    and follow the predictions of the transactions it held back, so every one is scored.
    """
    before = topics_before(settings)
    submitted = not pipeline_ran(settings)
    if submitted:
        run_pipeline(settings, say, ml_batch_size=ml_batch_size)
    else:
        say("==> Pipeline statements already ran in this state folder; not submitting again")
    refusal = None
    if not replay_again:
        refusal = already_replayed(
            before, dataset_rows(data_dir, rows, replay_options.get("split"))
        )
    sent = None
    if refusal is None:
        source = data_dir or demo_data(settings, rows, say)
        sent = replay(settings, source, say, **replay_options)[0].sent
    else:
        say(f"==> {refusal}")
    scope = run_scope(before, sent, submitted=submitted)
    watch = ArrivalWatch(
        expected=max(0, scope.transactions - scope.scored_before),
        start_offsets=before.partitions.get(PREDICTIONS_TOPIC, {}),
    )
    if scope.new:
        say(f"==> Predictions from topic {PREDICTIONS_TOPIC} as they arrive")
        follow(watch)
    else:
        say(
            f"==> Topic {PREDICTIONS_TOPIC} holds {scope.scored_before:,} predictions for the "
            f"{scope.transactions:,} transactions in topic {TRANSACTIONS_TOPIC}; this run "
            "replayed none, so it watches for no new ones"
        )
    drained = False
    if until_complete and watch.count < watch.expected:
        drained = bool(complete.finish_replay(settings, say))
        if drained:
            say(f"==> Predictions of the transactions the join held back, from {PREDICTIONS_TOPIC}")
            watch.expect_more()
            follow(watch)
    if scope.new:
        say(f"{watch.count:,} predictions for {scope.transactions:,} transactions.")
    elif drained:
        say(f"{watch.count:,} predictions for the {watch.expected:,} transactions that had none.")
    if watch.first_arrival is not None:
        say(f"First prediction {watch.first_arrival - up_started:.0f} s after `up` started.")
    lines = complete.unscored_lines(
        settings,
        scope.transactions,
        scope.scored_before + watch.count,
        drained=drained,
        joined_before=scope.joined_before,
    )
    for line in lines:
        say(f"  {line}")
    say_model_quality(settings, say, start_offsets=watch.start_offsets if scope.new else None)


def say_model_quality(
    settings: Settings, say: Say = print, *, start_offsets: dict[int, int] | None = None
) -> None:
    """An ML_EVALUATE-style summary of the predictions against the transactions' isFraud: this
    run's (those past `start_offsets`), else the whole topic's."""
    rows = load_topic(
        PREDICTIONS_TOPIC,
        settings.bootstrap_servers,
        settings.schema_registry_url,
        2.0,
        start_offsets=start_offsets,
        security=settings.kafka_security,
        registry_auth=settings.registry_auth,
    )
    metrics = evaluate(
        rows, label=LABEL_COLUMN, prediction=PREDICTION_COLUMN, probability=SCORE_COLUMN
    )
    whose = "this run's predictions in " if start_offsets is not None else ""
    say(format_metrics(metrics, title=f"==> Model quality on {whose}{PREDICTIONS_TOPIC}"))
