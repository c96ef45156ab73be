"""`ccflink top` and the monitor it draws: rates, percentiles, dead letters, the tally of
flagged predictions, rendering, the loop; with the demo's names and with a user's."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from emulator import monitor
from emulator.catalog import Catalog, StatementRecord
from emulator.cli import top
from emulator.cli.parser import build_parser
from emulator.cli.top import (
    ERROR_LINES,
    LATENCY_LABEL,
    render,
    render_line,
    run_top,
    screen_height,
    watched_from_args,
)
from emulator.config import Settings
from emulator.monitor import (
    Latency,
    PredictionTally,
    Sampler,
    Snapshot,
    TopicCount,
    Watched,
    compute_rates,
    count_dead_letters,
    percentile,
    summarize_latency,
)
from emulator.topic_reader import TopicNotFound
from emulator.watching import demo_watched

WATCHED = demo_watched()
TOPICS = WATCHED.topics
SCREEN_HEIGHT = screen_height(WATCHED)


def snapshot(**overrides) -> Snapshot:
    values = {
        "taken_at": 1_700_000_000.0,
        "interval": 1.0,
        "topics": {
            "transactions": TopicCount(10_000, 512.0),
            "identities": TopicCount(2_345, 120.5),
            "transactions_enriched": TopicCount(9_000, 480.0),
            "transactions_features": TopicCount(8_990, 479.0),
            "fraud_predictions": TopicCount(8_000, 470.0),
        },
        "predictions_read": 8_000,
        "flagged": 280,
        "latency": summarize_latency([1.0, 2.0, 3.0, 10.0]),
        "statements": {"RUNNING": 3},
        "services_total": 5,
    }
    values.update(overrides)
    return Snapshot(**values)


# --- rates ----------------------------------------------------------------------------------


def test_rates_are_deltas_over_the_measured_interval():
    rates = compute_rates({"a": 100, "b": 0}, {"a": 350, "b": 0}, 0.5)
    assert rates == {"a": 500.0, "b": 0.0}


def test_no_rate_without_a_previous_sample_or_interval():
    assert compute_rates(None, {"a": 5}, None) == {"a": None}
    assert compute_rates({"a": 1}, {"a": 5}, 0.0) == {"a": None}


def test_no_rate_for_a_missing_topic_or_one_that_appears():
    rates = compute_rates({"a": None, "b": 3}, {"a": 10, "b": None, "c": 4}, 1.0)
    assert rates == {"a": None, "b": None, "c": None}


def test_a_total_that_goes_down_is_a_recreated_topic_not_a_negative_rate():
    assert compute_rates({"a": 500}, {"a": 20}, 1.0) == {"a": None}


# --- latency, dead letters, fraud tally -----------------------------------------------------


def test_percentiles_are_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.50) == 50
    assert percentile(values, 0.95) == 95
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_latency_summary_counts_failed_probes_apart():
    latency = summarize_latency([2.0, None, 4.0, 3.0], error=None)
    assert (latency.samples, latency.failures) == (3, 1)
    assert latency.last_ms == 3.0
    assert latency.p50_ms == 3.0
    assert latency.p95_ms == 4.0
    failed = summarize_latency([2.0, None], error="connection refused")
    assert failed.last_ms is None and failed.error == "connection refused"


def test_dead_letters_are_lines_minus_the_header(tmp_path: Path):
    (tmp_path / "transactions.dead-letter.tsv").write_text(
        "line\treason\trow\n2\tbad\tx\n9\tbad\ty\n"
    )
    (tmp_path / "identities.dead-letter.tsv").write_text("line\treason\trow\n")
    (tmp_path / "notes.txt").write_text("ignored\n")
    assert count_dead_letters(tmp_path) == {
        "identities.dead-letter": 0,
        "transactions.dead-letter": 2,
    }
    assert count_dead_letters(tmp_path / "missing") == {}


@dataclass
class FakeReader:
    batches: list[list[dict]]
    polls: int = 0
    closed: bool = False

    def poll(self, timeout_ms: int = 1000):
        self.polls += 1
        values = self.batches.pop(0) if self.batches else []
        return [SimpleNamespace(value=v) for v in values]

    def close(self) -> None:
        self.closed = True


def test_prediction_tally_reads_only_when_the_end_offset_moved():
    reader = FakeReader(
        [[{"predicted_fraud": 1}, {"predicted_fraud": 0}], [{"predicted_fraud": 0}]]
    )
    opened = []
    tally = PredictionTally(lambda: opened.append(1) or reader, "predicted_fraud")
    tally.update(None)
    tally.update(0)
    assert opened == []  # no topic, or an empty one: no consumer at all
    tally.update(2)
    assert (tally.read, tally.flagged) == (2, 1)
    polls = reader.polls
    tally.update(2)
    assert reader.polls == polls  # nothing new: no poll
    tally.update(3)
    assert (tally.read, tally.flagged) == (3, 1)
    assert opened == [1]  # one reader, read incrementally
    tally.close()
    assert reader.closed


def test_prediction_tally_skips_rows_without_a_prediction():
    tally = PredictionTally(lambda: None, "predicted_fraud")
    tally.add([{"predicted_fraud": None}, {}, {"predicted_fraud": 1}])
    assert (tally.read, tally.flagged) == (1, 1)


# --- rendering ------------------------------------------------------------------------------


def test_screen_shows_every_topic_with_total_rate_and_meaning():
    screen = render(snapshot(), WATCHED)
    for topic, what in TOPICS.items():
        line = next(line for line in screen.splitlines() if line.startswith(topic))
        assert what in line
    assert "10,000" in screen and "512.0/s" in screen
    assert "rows joined" in screen and "9,000" in screen
    assert "3.50% predicted fraud (280 of 8,000 predictions read)" in screen
    assert LATENCY_LABEL in screen
    assert "p50 2.0 ms, p95 10.0 ms" in screen
    assert "5/5 healthy" in screen
    assert "3 RUNNING" in screen
    assert "errors          none" in screen


def test_screen_keeps_its_height_whatever_it_shows():
    quiet = render(snapshot(), WATCHED)
    empty = render(Snapshot(taken_at=0.0, interval=None, topics={}), WATCHED)
    failed = [(f"cli-{i}", "ML_PREDICT: endpoint answered 401") for i in range(9)]
    noisy = render(
        snapshot(
            failed_statements=failed,
            services_down=["model-server (stopped)"],
            dead_letters={"transactions.dead-letter": 3},
            problems=["topic records: timed out"],
        ),
        WATCHED,
    )
    heights = {len(text.split("\n")) for text in (quiet, empty, noisy)}
    assert heights == {SCREEN_HEIGHT}
    assert "and 9 more" in noisy  # 9 + 1 + 1 + 1 = 12 error lines: 3 shown, then a count


def test_errors_name_failed_statements_services_and_dead_letters():
    screen = render(
        snapshot(
            statements={"FAILED": 1, "RUNNING": 2},
            failed_statements=[("cli-1", "endpoint answered 401")],
            services_down=["model-server (stopped)"],
            services_total=5,
            dead_letters={"transactions.dead-letter": 3},
        ),
        WATCHED,
    )
    assert "statement cli-1 FAILED: endpoint answered 401" in screen
    assert "service model-server (stopped)" in screen
    assert "4/5 healthy" in screen
    assert "dead letters: 3 in transactions.dead-letter.tsv" in screen
    assert "1 FAILED, 2 RUNNING" in screen
    assert (
        len(render(snapshot(failed_statements=[("a", "b")]), WATCHED).split("\n")) == SCREEN_HEIGHT
    )
    assert ERROR_LINES >= 3


def test_unknown_values_show_as_dashes_not_zeros():
    screen = render(Snapshot(taken_at=0.0, interval=None, topics={}), WATCHED)
    line = next(line for line in screen.splitlines() if line.startswith("transactions "))
    assert line.split()[1:3] == ["-", "-"]
    assert "no predictions read yet" in screen
    assert "model latency   " + LATENCY_LABEL + ": -" in screen


def test_fraud_rate_says_when_reading_lags_the_topic():
    screen = render(snapshot(predictions_read=4_000, flagged=40), WATCHED)
    assert "1.00% predicted fraud (40 of 4,000 predictions read of 8,000)" in screen


def test_lines_are_clipped_to_the_terminal_width():
    screen = render(snapshot(failed_statements=[("cli-1", "x" * 300)]), WATCHED, width=60)
    assert max(len(line) for line in screen.split("\n")) <= 60
    assert len(screen.split("\n")) == SCREEN_HEIGHT


def test_failed_probe_is_shown_as_failed():
    latency = summarize_latency([1.0, None], error="connection refused")
    screen = render(snapshot(latency=latency), WATCHED)
    assert "last failed" in screen and "1 failed" in screen


def test_summary_line_for_logs():
    line = render_line(snapshot(failed_statements=[("cli-1", "boom")]), WATCHED)
    assert "\n" not in line
    assert "tx 10,000 (512.0/s)" in line
    assert "joined 9,000 (480.0/s)" in line
    assert "predictions 8,000 (470.0/s)" in line
    assert "fraud 3.50%" in line
    assert "probe p50 2.0 ms p95 10.0 ms" in line
    assert "errors 1 (statement cli-1 FAILED: boom)" in line


# --- the sampler with its sources faked -----------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_700_000_000.0 + self.now

    def perf_counter(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path / "jars")


def test_sampler_computes_rates_between_samples(tmp_path: Path, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(monitor, "time", clock)
    sampler = Sampler(settings(tmp_path), WATCHED)
    totals = iter(
        [
            {**dict.fromkeys(TOPICS, 0), "transactions": 100},
            {**dict.fromkeys(TOPICS, 0), "transactions": 400, "fraud_predictions": None},
        ]
    )
    monkeypatch.setattr(sampler, "record_counts", lambda problems: next(totals))
    monkeypatch.setattr(sampler, "probe", lambda: Latency())
    monkeypatch.setattr(sampler, "statement_status", lambda problems: ({}, []))
    monkeypatch.setattr(sampler, "services", lambda problems: (5, []))
    first = sampler.sample()
    clock.now += 2.0
    second = sampler.sample()
    assert first.interval is None and first.topics["transactions"] == TopicCount(100, None)
    assert second.interval == 2.0
    assert second.topics["transactions"] == TopicCount(400, 150.0)
    assert second.topics["fraud_predictions"] == TopicCount(None, None)
    sampler.close()


def test_statements_come_from_their_jobs_and_no_other_writer_is_undone(tmp_path: Path, monkeypatch):
    catalog = Catalog.for_state(tmp_path)
    for name, job in (("cli-ok", "job-ok"), ("cli-bad", "job-bad")):
        catalog.statements[name] = StatementRecord(name, "INSERT ...", "RUNNING", name, job)
    catalog.save()

    class FakeRest:
        def __init__(self, url: str) -> None:
            pass

        def job_state(self, job_id: str) -> str:
            if job_id == "job-bad":  # meanwhile `make up`'s session records a statement
                session = Catalog.for_state(tmp_path)
                session.statements["cli-new"] = StatementRecord(
                    "cli-new", "INSERT ...", "RUNNING", "cli-new", "job-new"
                )
                session.save()
            return "FAILED" if job_id == "job-bad" else "RUNNING"

        def failure(self, job_id: str) -> str:
            return "ValueError: endpoint answered 401"

        def exceptions(self, job_id: str) -> list:
            return []  # no restarts: a running statement is not DEGRADED

    monkeypatch.setattr(monitor, "FlinkRest", FakeRest)
    counts, failed = Sampler(settings(tmp_path), WATCHED).statement_status([])
    assert counts == {"RUNNING": 2, "FAILED": 1}  # the new statement counted too
    assert failed == [("cli-bad", "ValueError: endpoint answered 401")]
    saved = Catalog.for_state(tmp_path).statements
    assert saved["cli-bad"].status == "FAILED"  # recorded, as `statement list` records it
    assert saved["cli-new"].status == "RUNNING"  # the other writer's statement kept


def test_unreachable_sources_become_problems_not_crashes(tmp_path: Path, monkeypatch):
    sampler = Sampler(settings(tmp_path), WATCHED)

    class Broken:
        def update(self, topics):
            raise RuntimeError("KafkaError{code=_TRANSPORT}")

        def close(self) -> None:
            pass

    sampler._counter = Broken()
    problems: list[str] = []
    assert sampler.record_counts(problems) == dict.fromkeys(TOPICS)
    assert problems == ["topic records: KafkaError{code=_TRANSPORT}"]

    def failing_open():
        raise TopicNotFound("topic 'fraud_predictions' does not exist")

    sampler.predictions = PredictionTally(failing_open, "predicted_fraud")
    sampler.prediction_counts(5, problems)
    assert "fraud_predictions" in problems[-1]


# --- the loop -------------------------------------------------------------------------------


class FakeSampler:
    def __init__(self, interrupt_after: int | None = None) -> None:
        self.calls = 0
        self.closed = False
        self.interrupt_after = interrupt_after

    def sample(self) -> Snapshot:
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt
        return snapshot()

    def close(self) -> None:
        self.closed = True


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_line_per_interval_when_not_a_terminal(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(top, "time", FakeClock())
    out = io.StringIO()
    sampler = FakeSampler()
    code = run_top(
        settings(tmp_path), WATCHED, interval=1.0, duration=3.0, out=out, sampler=sampler
    )
    assert code == 0
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and sampler.calls == 3
    assert "\x1b" not in out.getvalue()
    assert sampler.closed


def test_redrawn_in_place_on_a_terminal(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(top, "time", FakeClock())
    out = Terminal()
    run_top(settings(tmp_path), WATCHED, interval=1.0, duration=2.0, out=out, sampler=FakeSampler())
    text = out.getvalue()
    assert text.startswith(top.HIDE_CURSOR + top.CLEAR)
    assert text.count(top.HOME) == 2  # two frames, each from the top-left corner
    assert text.endswith(top.SHOW_CURSOR)
    first_frame = text.split(top.HOME)[1]
    assert first_frame.count("\n") == SCREEN_HEIGHT


def test_ctrl_c_exits_cleanly(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(top, "time", FakeClock())
    out = Terminal()
    sampler = FakeSampler(interrupt_after=2)
    assert run_top(settings(tmp_path), WATCHED, out=out, sampler=sampler) == 0
    assert sampler.closed and out.getvalue().endswith(top.SHOW_CURSOR)


def test_until_stops_the_view(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(top, "time", FakeClock())
    sampler = FakeSampler()
    seen = []
    run_top(
        settings(tmp_path),
        WATCHED,
        out=io.StringIO(),
        sampler=sampler,
        until=lambda s: seen.append(s) or len(seen) == 4,
    )
    assert sampler.calls == 4


@pytest.mark.parametrize("duration", [0.0, 0.5])
def test_a_short_duration_still_samples_once(tmp_path: Path, monkeypatch, duration):
    monkeypatch.setattr(top, "time", FakeClock())
    sampler = FakeSampler()
    run_top(settings(tmp_path), WATCHED, duration=duration, out=io.StringIO(), sampler=sampler)
    assert sampler.calls == 1


def test_a_users_pipeline_is_watched_by_the_names_it_gives() -> None:
    watched = Watched(
        topics={"orders": "orders placed", "orders_scored": "scored orders"},
        short_names={"orders": "orders", "orders_scored": "scored"},
        predictions_topic="orders_scored",
        flag_column="late",
        flagged="late",
    )
    counts = {"orders": TopicCount(5, 1.0), "orders_scored": TopicCount(4, 1.0)}
    taken = Snapshot(taken_at=0.0, interval=1.0, topics=counts, predictions_read=4, flagged=1)
    screen = render(taken, watched)
    assert "orders placed" in screen and "scored orders" in screen
    assert "25.00% predicted late (1 of 4 predictions read)" in screen
    assert "transactions" not in screen and "fraud" not in screen
    assert "scored 4 (1.0/s)" in render_line(taken, watched)
    tally = PredictionTally(lambda: None, "late")
    tally.add([{"late": 1}, {"late": 0}, {"predicted_fraud": 1}])
    assert (tally.read, tally.flagged) == (2, 1)


def test_top_watches_the_topics_named_on_its_command_line() -> None:
    args = build_parser().parse_args(
        [
            "top",
            "--topic",
            "orders",
            "--predictions-topic",
            "orders_scored",
            "--flag-column",
            "late",
        ]
    )
    watched = watched_from_args(args)
    assert list(watched.topics) == ["orders", "orders_scored"]
    assert (watched.predictions_topic, watched.flag_column) == ("orders_scored", "late")
    assert watched_from_args(build_parser().parse_args(["top"])) == demo_watched()
