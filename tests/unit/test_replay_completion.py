"""What is left of the demo's replay, and finishing it: only the join is drained, only once it
has read everything, and the summary counts what has no prediction yet."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from emulator.catalog import Catalog
from emulator.config import Settings
from emulator.demo import complete
from emulator.demo.complete import ReplayNotReadError
from emulator.sql import statements

JOIN_SQL = "CREATE TABLE transactions_enriched AS SELECT * FROM transactions t LEFT JOIN ..."
FEATURES_SQL = "CREATE TABLE transactions_features AS SELECT * FROM transactions_enriched"


class FakeRest:
    """The FlinkRest calls the demo makes, with the join's sources still reading at first."""

    unread: ClassVar[list[float | None]] = []
    drained: ClassVar[list[str]] = []

    def __init__(self, url: str = "") -> None:
        pass

    def job_state(self, job_id: str) -> str:
        return "FINISHED" if job_id in FakeRest.drained else "RUNNING"

    def metrics(self, job_id: str, marker: str) -> dict[str, float]:
        assert marker == "pendingRecords"
        left = FakeRest.unread.pop(0) if len(FakeRest.unread) > 1 else FakeRest.unread[0]
        if left is None:
            return {}
        return {
            "Source__transactions[1].pendingRecords": left,
            "Source__identities[4].pendingRecords": 0.0,
        }

    def exceptions(self, job_id: str) -> list:
        return []

    def stop_with_savepoint(self, job_id: str, target_directory: str, *, drain: bool) -> str:
        assert drain, "a replay is finished by a draining stop"
        assert FakeRest.unread[0] == 0, "drained before the sources had read everything"
        FakeRest.drained.append(job_id)
        return f"{target_directory}/savepoint-1"

    def wait_until_stopped(self, job_id: str) -> str:
        return self.job_state(job_id)


class FakeOffsets:
    committed_by_topic: ClassVar[dict[str, int | None]] = {}

    def __init__(self, bootstrap_servers: str, security: dict[str, str]) -> None:
        assert security == {}  # the local stack's open listener

    def committed(self, topics: list[str]) -> dict[str, int | None]:
        """Records read from the topic: its end offsets would count transaction markers."""
        return {t: FakeOffsets.committed_by_topic.get(t) for t in topics}


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(complete, "FlinkRest", FakeRest)
    monkeypatch.setattr(complete, "EndOffsets", FakeOffsets)
    monkeypatch.setattr(complete.time, "sleep", lambda seconds: None)
    FakeRest.unread, FakeRest.drained = [0.0], []
    catalog = Catalog.for_state(tmp_path)
    statements.record(catalog, "cli-join", JOIN_SQL, "RUNNING", job_id="join-job")
    statements.record(catalog, "cli-features", FEATURES_SQL, "RUNNING", job_id="features-job")
    return Settings(state_dir=tmp_path, jars_dir=tmp_path)


def test_only_the_join_is_drained_once_its_sources_have_read_everything(
    settings: Settings,
) -> None:
    FakeRest.unread = [None, 1200.0, 30.0, 0.0]
    said: list[str] = []
    drained = complete.finish_replay(settings, said.append)
    assert [entry.name for entry in drained] == ["cli-join"]
    assert FakeRest.drained == ["join-job"]  # the features statement may still be reading
    assert FakeRest.unread == [0.0]
    catalog = Catalog.for_state(settings.state_dir)
    assert catalog.statements["cli-join"].status == "COMPLETED"
    assert catalog.statements["cli-features"].status == "RUNNING"
    assert any("Draining statement cli-join" in line for line in said)


def test_a_join_still_reading_is_not_drained(settings: Settings) -> None:
    FakeRest.unread = [500.0]
    rest = FakeRest()
    entry = Catalog.for_state(settings.state_dir).statements["cli-join"]
    with pytest.raises(ReplayNotReadError, match="still had 500 records to read after 0 s"):
        complete.wait_until_read(rest, entry, timeout=0.0)  # type: ignore[arg-type]
    assert FakeRest.drained == []


def test_nothing_to_drain_when_the_join_already_completed(settings: Settings) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    catalog.statements["cli-join"].status = "COMPLETED"
    catalog.save()
    assert complete.finish_replay(settings, lambda line: None) == []


def test_the_summary_counts_the_rows_the_join_holds_and_names_the_drain(
    settings: Settings,
) -> None:
    FakeOffsets.committed_by_topic = {"transactions_enriched": 1_964}
    lines = complete.unscored_lines(settings, 2_000, 1_950, drained=False)
    assert lines[0] == (
        "50 transactions have no prediction yet: 36 held in the join (transactions_enriched "
        "has 1,964 rows), 14 on their way through features and ML_PREDICT."
    )
    assert "`ccflink flink statement drain cli-join`" in lines[1]


def test_the_summary_after_a_drain_does_not_blame_the_watermark(settings: Settings) -> None:
    FakeOffsets.committed_by_topic = {"transactions_enriched": 2_000}
    lines = complete.unscored_lines(settings, 2_000, 1_990, drained=True)
    assert lines[0].startswith("10 transactions have no prediction yet: 0 held in the join")
    assert "none waits for the watermark" in lines[1]


def test_the_summary_is_silent_when_every_transaction_is_scored(settings: Settings) -> None:
    assert complete.unscored_lines(settings, 2_000, 2_000, drained=True) == []
    assert "earlier replay" in complete.unscored_lines(settings, 2_000, 2_500, drained=False)[0]
