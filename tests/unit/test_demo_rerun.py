"""`up --demo` run again: it does not replay what the source topics already hold (unless told
to), and what it counts starts at the predictions topic's end offsets when it began."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from confluent_kafka import OFFSET_BEGINNING

from emulator import topic_reader
from emulator.config import Settings
from emulator.demo import complete, pipeline
from emulator.demo.pipeline import ArrivalWatch, TopicsBefore
from emulator.kafka import offsets
from emulator.kafka.offsets import EndOffsets
from emulator.topic_reader import AvroTopicReader, Record
from producers.produce import TopicSummary

# What an earlier 10,000-row run left: predictions on two partitions.
EARLIER_RUN = {
    "transactions": {0: 5_000, 1: 5_000},
    "identities": {0: 3_500, 1: 3_500},
    "transactions_enriched": {0: 4_990, 1: 5_010},
    "fraud_predictions": {0: 4_000, 1: 6_000},
}
PREDICTION = {"TransactionID": 1, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.1}


class FakeOffsets:
    """EndOffsets over `by_topic` (partition -> end offset); a topic not in it does not exist."""

    by_topic: ClassVar[dict[str, dict[int, int]]] = {}

    def __init__(self, bootstrap_servers: str, security: dict[str, str]) -> None:
        assert security == {}  # the local stack's open listener

    def partitions(self, topics: list[str]) -> dict[str, dict[int, int]]:
        return {t: dict(FakeOffsets.by_topic[t]) for t in topics if t in FakeOffsets.by_topic}

    def totals(self, topics: list[str]) -> dict[str, int | None]:
        return {
            t: sum(FakeOffsets.by_topic[t].values()) if t in FakeOffsets.by_topic else None
            for t in topics
        }

    committed = totals  # topics without transaction markers


class Demo:
    """run_demo with the cluster faked: what it replayed, followed, said and evaluated."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.settings = settings
        self.said: list[str] = []
        self.produced: list[Path] = []
        self.generated: list[int] = []
        self.submitted = 0
        self.watches: list[ArrivalWatch] = []
        self.quality_offsets: list[Any] = []
        self.ran_before = True
        self.sent = 10_000
        self.topic_total_after = 0  # the predictions topic's total while followed
        self.join_after: dict[int, int] | None = None  # the join's end offsets by then
        monkeypatch.setattr(pipeline, "EndOffsets", FakeOffsets)
        monkeypatch.setattr(complete, "EndOffsets", FakeOffsets)
        monkeypatch.setattr(pipeline, "pipeline_ran", lambda settings: self.ran_before)
        monkeypatch.setattr(pipeline, "run_pipeline", self._run_pipeline)
        monkeypatch.setattr(pipeline, "generate", self._generate)
        monkeypatch.setattr(pipeline, "produce_dataset", self._produce)
        monkeypatch.setattr(pipeline, "load_topic", self._load_topic)

    def _run_pipeline(self, settings: Settings, say: Any, *, ml_batch_size: int) -> None:
        self.submitted += 1

    def _generate(self, rows: int, data_dir: Path, seed: int) -> None:
        self.generated.append(rows)

    def _produce(self, bootstrap: str, registry: str, data_dir: Path, *args: Any, **options: Any):
        self.produced.append(data_dir)
        return [TopicSummary("transactions", sent=self.sent), TopicSummary("identities", 7_000)]

    def _load_topic(self, topic: str, *args: Any, start_offsets: Any = None, **login: Any):
        assert topic == "fraud_predictions"
        assert login == {"security": {}, "registry_auth": None}
        self.quality_offsets.append(start_offsets)
        return [PREDICTION]

    def follow(self, watch: ArrivalWatch) -> None:
        self.watches.append(watch)
        watch.seen_in_topic(self.topic_total_after)  # as the live view counts
        if self.join_after is not None:
            FakeOffsets.by_topic["transactions_enriched"] = self.join_after

    def run(self, **options: Any) -> str:
        pipeline.run_demo(
            self.settings,
            self.follow,
            self.said.append,
            rows=10_000,
            data_dir=None,
            replay_options={"split": None, "timestamps": "event"},
            ml_batch_size=1,
            up_started=0.0,
            **options,
        )
        return "\n".join(self.said)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Demo:
    FakeOffsets.by_topic = {}
    return Demo(Settings(state_dir=tmp_path, jars_dir=tmp_path), monkeypatch)


def test_a_first_run_replays_into_topics_that_do_not_exist_yet(demo: Demo) -> None:
    demo.ran_before = False
    demo.topic_total_after = 10_000
    text = demo.run()
    assert demo.submitted == 1 and demo.generated == [10_000] and len(demo.produced) == 1
    [watch] = demo.watches
    assert watch.start_offsets == {} and watch.expected == 10_000
    assert "10,000 predictions for 10,000 transactions." in text
    assert demo.quality_offsets == [{}]  # this run's: the topic from its beginning


def test_a_second_run_does_not_replay_what_the_topics_already_hold(demo: Demo) -> None:
    FakeOffsets.by_topic = dict(EARLIER_RUN)
    text = demo.run()
    assert demo.produced == [] and demo.generated == [] and demo.submitted == 0
    assert (
        "==> Topic transactions already holds 10,000 records (identities: 7,000) from an "
        "earlier replay, as many as the 10,000 rows to replay; not replaying them again "
        "(pass --replay-again to replay anyway" in text
    )
    assert demo.watches == []  # nothing new is coming: no watch counting the old ones
    assert "holds 10,000 predictions for the 10,000 transactions in topic transactions" in text
    assert "predictions for 10,000 transactions." not in text
    assert demo.quality_offsets == [None]  # what is there: the whole topic


def test_a_partial_earlier_replay_is_not_replayed_over_either(demo: Demo) -> None:
    FakeOffsets.by_topic = {"transactions": {0: 2_500, 1: 0}, "identities": {0: 1_000}}
    text = demo.run()
    assert demo.produced == []
    assert "holds 2,500 records (identities: 1,000)" in text
    assert "fewer than the 10,000 rows to replay (an interrupted or smaller one)" in text


def test_replay_again_replays_and_counts_only_this_runs_predictions(demo: Demo) -> None:
    FakeOffsets.by_topic = dict(EARLIER_RUN)
    demo.topic_total_after = 10_000 + 9_990  # the earlier run's and this run's
    demo.join_after = {0: 9_990, 1: 10_005}
    text = demo.run(replay_again=True)
    assert len(demo.produced) == 1 and demo.generated == [10_000]
    assert "already holds" not in text
    [watch] = demo.watches
    assert watch.start_offsets == EARLIER_RUN["fraud_predictions"]
    assert watch.expected == 10_000 and watch.count == 9_990
    assert "9,990 predictions for 10,000 transactions." in text
    # The join's 10,000 earlier rows are not this run's: 9,995 of its transactions joined.
    assert (
        "10 transactions have no prediction yet: 5 held in the join (transactions_enriched has "
        "19,995 rows, 10,000 of them an earlier replay's), 5 on their way" in text
    )
    assert demo.quality_offsets == [EARLIER_RUN["fraud_predictions"]]


def test_until_complete_on_a_second_run_drains_without_replaying(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    FakeOffsets.by_topic = {**EARLIER_RUN, "fraud_predictions": {0: 4_000, 1: 5_950}}
    drains: list[Settings] = []
    monkeypatch.setattr(
        complete, "finish_replay", lambda settings, say: drains.append(settings) or ["join"]
    )
    demo.topic_total_after = 10_000
    text = demo.run(until_complete=True)
    assert demo.produced == [] and len(drains) == 1
    [watch] = demo.watches  # only after the drain, from the offsets taken at the start
    assert watch.start_offsets == {0: 4_000, 1: 5_950}
    assert watch.expected == 50 and watch.count == 50
    assert "50 predictions for the 50 transactions that had none." in text


def test_the_watch_reads_predictions_from_the_offsets_taken_at_the_start(
    demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[dict[str, Any]] = []

    class FakeReader:
        def __init__(self, topic: str, **options: Any) -> None:
            opened.append({"topic": topic, **options})
            self.batches = [[Record(None, PREDICTION, 0, 0, 4_000)]] * 2

        @classmethod
        def of(cls, settings: Settings, topic: str, **options: Any) -> FakeReader:
            assert settings is demo.settings
            return cls(topic, **options)

        def poll(self, timeout_ms: int = 1000) -> list[Record]:
            return self.batches.pop() if self.batches else []

        def close(self) -> None:
            pass

    monkeypatch.setattr(pipeline, "AvroTopicReader", FakeReader)
    watch = ArrivalWatch(expected=2, start_offsets={0: 4_000, 1: 6_000})
    stats = pipeline.watch_predictions(demo.settings, watch, say=lambda line: None)
    assert opened == [{"topic": "fraud_predictions", "start_offsets": {0: 4_000, 1: 6_000}}]
    assert stats.count == watch.count == 2


def test_the_live_view_counts_only_past_the_start_offsets() -> None:
    watch = ArrivalWatch(expected=5, start_offsets={0: 4_000, 1: 6_000})
    watch.seen_in_topic(10_003)
    assert watch.count == 3 and not watch.done()
    watch.seen_in_topic(10_005)
    assert watch.done()


def test_the_rows_to_replay_are_the_kaggle_files_lines(tmp_path: Path) -> None:
    (tmp_path / "train_transaction.csv").write_text("TransactionID,isFraud\n1,0\n2,1\n3,0")
    assert pipeline.dataset_rows(tmp_path, rows=10_000) == 3
    assert pipeline.dataset_rows(None, rows=10_000) == 10_000
    assert pipeline.dataset_rows(tmp_path / "missing", rows=10_000) is None
    before = TopicsBefore({"transactions": {0: 3}, "identities": {0: 1}})
    assert pipeline.already_replayed(before, 3) is not None
    assert pipeline.already_replayed(TopicsBefore({"transactions": {0: 0}}), 3) is None


class FakeConsumer:
    """confluent-kafka's Consumer for one topic of three partitions; records the assignment."""

    assigned: ClassVar[list[tuple[int, int]]] = []

    def __init__(self, config: dict[str, Any]) -> None:
        pass

    def list_topics(self, topic: str, timeout: float) -> SimpleNamespace:
        metadata = SimpleNamespace(error=None, partitions={0: None, 1: None, 2: None})
        return SimpleNamespace(topics={topic: metadata})

    def assign(self, partitions: list) -> None:
        FakeConsumer.assigned = [(p.partition, p.offset) for p in partitions]

    def close(self) -> None:
        pass


def test_the_reader_starts_at_given_offsets_and_elsewhere_at_the_beginning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(topic_reader, "Consumer", FakeConsumer)
    AvroTopicReader("b:9092", "http://r:8081", "t", start_offsets={0: 7, 1: 3})
    assert FakeConsumer.assigned == [(0, 7), (1, 3), (2, OFFSET_BEGINNING)]
    AvroTopicReader("b:9092", "http://r:8081", "t")  # other callers: from the beginning
    assert FakeConsumer.assigned == [(p, OFFSET_BEGINNING) for p in range(3)]


class FakeAdmin:
    """AdminClient with topic `t` (partitions 0, 1); `u` is missing."""

    def __init__(self, config: dict[str, Any]) -> None:
        pass

    def list_topics(self, timeout: float) -> SimpleNamespace:
        return SimpleNamespace(topics={"t": SimpleNamespace(error=None, partitions={0: 0, 1: 0})})

    def list_offsets(self, request: dict, request_timeout: float) -> dict:
        ends = {0: 12, 1: 30}
        done = SimpleNamespace
        return {
            tp: done(result=lambda timeout, p=tp.partition: SimpleNamespace(offset=ends[p]))
            for tp in request
        }


def test_end_offsets_per_partition_leave_out_a_missing_topic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(offsets, "AdminClient", FakeAdmin)
    end = EndOffsets("b:9092")
    assert end.partitions(["t", "u"]) == {"t": {0: 12, 1: 30}}
    assert end.totals(["t", "u"]) == {"t": 42, "u": None}
