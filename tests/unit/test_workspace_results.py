"""The workspace's pipeline view, evaluate and compare: `ccflink top`'s snapshots as JSON over
the watched pipeline (the demo's, or the topics named), and the results code's metrics and
comparison report with the score histograms the page draws; bad requests say what was wrong."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from emulator.config import Settings
from emulator.monitor import Latency, Snapshot, TopicCount, Watched
from emulator.ports import free_ports
from emulator.results.diff import compare
from emulator.results.histogram import histogram, histograms_by
from emulator.results.metrics import evaluate
from emulator.topic_reader import TopicNotFound
from emulator.watching import demo_watched
from emulator.workspace import quality
from emulator.workspace.app import create_app
from emulator.workspace.live import LiveView
from emulator.workspace.runs import Runner


class FakeSampler:
    """A `monitor.Sampler` that hands out one snapshot of whatever it watches."""

    made: ClassVar[list[FakeSampler]] = []

    def __init__(self, settings: Settings, watched: Watched) -> None:
        self.watched = watched
        self.samples = 0
        self.closed = False
        FakeSampler.made.append(self)

    def sample(self) -> Snapshot:
        self.samples += 1
        topics = {topic: TopicCount(10 * n, 2.5 * n) for n, topic in enumerate(self.watched.topics)}
        return Snapshot(
            taken_at=1000.0,
            interval=1.0,
            topics=topics,
            predictions_read=8,
            flagged=2,
            latency=Latency(last_ms=3.0, p50_ms=2.0, p95_ms=4.0, samples=5),
            statements={"RUNNING": 3, "FAILED": 1},
            failed_statements=[("cli-9", "boom")],
            services_total=5,
        )

    def close(self) -> None:
        self.closed = True


ROWS = [  # label, prediction, score: one of each outcome, and a row without a label
    {"TransactionID": 1, "isFraud": 1, "predicted_fraud": 1, "fraud_probability": 0.9},
    {"TransactionID": 2, "isFraud": 0, "predicted_fraud": 1, "fraud_probability": 0.6},
    {"TransactionID": 3, "isFraud": 0, "predicted_fraud": 0, "fraud_probability": 0.1},
    {"TransactionID": 4, "isFraud": 1, "predicted_fraud": 0, "fraud_probability": 0.3},
    {"TransactionID": 5, "isFraud": None, "predicted_fraud": 0, "fraud_probability": 0.2},
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path / "jars", ports=free_ports())


@pytest.fixture
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Any:
    FakeSampler.made.clear()
    read: dict[str, list] = {"fraud_predictions": ROWS, "other": ROWS[:2]}

    def read_topic(_: Settings, topic: str, idle_seconds: float) -> list[dict[str, Any]]:
        if topic not in read:
            raise TopicNotFound(f"topic {topic!r} does not exist")
        return [dict(row) for row in read[topic]]

    monkeypatch.setattr(quality, "read_topic", read_topic)
    live = LiveView(settings, FakeSampler)
    return create_app(settings, Runner(lambda say: None), live).test_client()


def test_the_pipeline_view_is_tops_snapshot_of_the_demo_as_json(client: Any) -> None:
    data = client.get("/api/pipeline").get_json()
    [sampler] = FakeSampler.made
    assert sampler.watched == demo_watched()
    assert [t["topic"] for t in data["topics"]] == list(demo_watched().topics)
    joined = data["topics"][2]
    assert (joined["what"], joined["total"], joined["rate"]) == ("rows joined", 20, 5.0)
    assert (data["predictions_read"], data["flagged"], data["flag_rate"]) == (8, 2, 0.25)
    assert data["flagged_as"] == "fraud"
    assert data["latency"]["p95_ms"] == 4.0
    assert data["statements"] == {"RUNNING": 3, "FAILED": 1}
    assert data["errors"] == ["statement cli-9 FAILED: boom"]


def test_the_pipeline_view_watches_the_topics_named_as_top_does(client: Any) -> None:
    client.get("/api/pipeline")
    answer = client.get("/api/pipeline?topic=clicks&predictions_topic=scored&flag_column=bad")
    demo, named = FakeSampler.made
    assert demo.closed and not named.closed  # one sampler kept: the one watched now
    assert list(named.watched.topics) == ["clicks", "scored"]
    assert (named.watched.predictions_topic, named.watched.flag_column) == ("scored", "bad")
    assert [t["what"] for t in answer.get_json()["topics"]] == ["records", "predictions"]


def test_samples_are_shared_between_requests_taken_together(client: Any) -> None:
    first = client.get("/api/pipeline").get_json()
    second = client.get("/api/pipeline").get_json()
    assert FakeSampler.made[0].samples == 1 and first == second


def test_a_histogram_counts_each_score_in_its_bin() -> None:
    counts = histogram([0.0, 0.05, 0.25, 0.5, 1.0, 1.5, -1, None, "x", "0.95"], bins=4)
    assert counts.edges == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert counts.counts == [2, 1, 1, 2]  # 0.25 opens the 2nd bin; 1.0 closes the last
    assert (counts.below, counts.above, counts.missing) == (1, 1, 2)
    by_label = histograms_by(ROWS, "fraud_probability", "isFraud", bins=2)
    assert {name: h.counts for name, h in by_label.items()} == {
        "0": [1, 1],
        "1": [1, 1],
        "null": [1, 0],
    }


def test_evaluate_answers_the_results_metrics_and_the_scores_per_label(client: Any) -> None:
    data = client.post("/api/evaluate", json={}).get_json()
    expected = evaluate(
        ROWS, label="isFraud", prediction="predicted_fraud", probability="fraud_probability"
    )["all"]
    metrics = data["metrics"]["all"]
    assert (metrics["tp"], metrics["fp"], metrics["tn"], metrics["fn"]) == (1, 1, 1, 1)
    assert metrics["AUC"] == expected.auc and metrics["skipped"] == 1
    assert data["topic"] == "fraud_predictions" and data["rows"] == 5
    assert sum(data["scores"]["1"]["counts"]) == 2 and len(data["scores"]["1"]["edges"]) == 21


def export(rows: list[dict[str, Any]]) -> bytes:
    """Rows as the Cloud Console's JSON message download writes them."""
    messages = [{"partition": 0, "offset": n, "key": None, "value": r} for n, r in enumerate(rows)]
    return json.dumps(messages).encode()


def test_compare_answers_the_report_with_both_sides_scores(client: Any) -> None:
    cloud = [dict(row) for row in ROWS[1:]]
    cloud[0]["predicted_fraud"] = 0  # key 2 differs
    cloud[1]["fraud_probability"] = 0.15  # key 3's score differs
    upload = {"cloud": (io.BytesIO(export(cloud)), "cloud.json"), "local": "fraud_predictions"}
    data = client.post("/api/compare", data=upload).get_json()
    expected = compare(ROWS, cloud, key="TransactionID", field="predicted_fraud")
    assert (data["matched"], data["only_local"], data["agreements"]) == (4, 1, 3)
    assert data["agreement"] == expected.agreement
    assert data["mismatches"] == [{"key": 2, "local": 1, "cloud": 0}]
    confusion = data["confusion"]
    assert (confusion["local_labels"], confusion["cloud_labels"]) == ([0, 1], [0])
    assert confusion["matrix"] == [[3], [1]]  # local 1 where the cloud said 0: key 2
    [scores] = [n for n in data["numeric"] if n["field"] == "fraud_probability"]
    assert [d["key"] for d in scores["largest"]] == [3]
    assert sum(data["scores"]["local"]["counts"]) == 5
    assert sum(data["scores"]["cloud"]["counts"]) == 4
    assert data["cloud_file"] == "cloud.json" and data["passed"] is False


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/api/evaluate", {"topic": "missing"}, 404, "topic 'missing' does not exist"),
        ("/api/evaluate", {"label": ""}, 400, '"label" must be a name'),
        ("/api/evaluate", {"idle_seconds": "soon"}, 400, '"idle_seconds" must be a number'),
        ("/api/compare", {"local": "fraud_predictions"}, 400, '"cloud" must be'),
        (
            "/api/compare",
            {"cloud": (io.BytesIO(b"[1, 2]"), "cloud.json")},
            400,
            "cloud.json: item 0 is not a JSON object",
        ),
        (
            "/api/compare",
            {"cloud": (io.BytesIO(export(ROWS)), "c.json"), "field": "nope"},
            400,
            "nope",
        ),
        (
            "/api/compare",
            {"cloud": (io.BytesIO(export(ROWS)), "c.json"), "min_agreement": "2"},
            400,
            '"min_agreement" must be a number from 0 to 1',
        ),
        ("/api/pipeline?topic=", None, 400, '"topic" must name a topic'),
    ],
)
def test_bad_requests_say_what_was_wrong(
    client: Any, path: str, body: Any, status: int, says: str
) -> None:
    if path == "/api/evaluate":
        answer = client.post(path, json=body)
    elif body is None:
        answer = client.get(path)
    else:
        answer = client.post(path, data=body)
    assert answer.status_code == status
    assert says in answer.get_json()["error"]
    assert "ccflink-upload-" not in answer.get_json()["error"]  # names the upload, not our copy
