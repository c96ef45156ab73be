"""Chained commits: which statement reads which (from the jobs' plans), and when a reader is
asked for a checkpoint (after its writer's checkpoint completed, not before, not twice)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import requests

from emulator import config
from emulator.config import ConfigError
from emulator.flink import chained_commits
from emulator.flink.chained_commits import (
    MIN_GAP_S,
    TRIGGER_DELAY_S,
    ChainedCommits,
    JobTables,
    readers_of,
    tables_of_plan,
)

# Descriptions as Flink 2.2 writes them in `/jobs/<id>/plan` (columns cut short).
JOIN_PLAN = {
    "nodes": [
        {
            "description": "[1]:TableSourceScan(table=[[default_catalog, default_database, "
            "transactions, metadata=[timestamp], watermark=[-(CAST($rowtime AS "
            "TIMESTAMP_LTZ(3) *ROWTIME*), 200:INTERVAL SECOND)]]], fields=[TransactionID])"
        },
        {
            "description": "[4]:TableSourceScan(table=[[default_catalog, default_database, "
            "identities, metadata=[timestamp]]], fields=[TransactionID, id_01])"
        },
        {
            "description": "[7]:IntervalJoin(joinType=[LeftOuterJoin])<br/>   +- "
            "[9]:ConstraintEnforcer[NotNullEnforcer(fields=[TransactionID])]<br/>      +- "
            "transactions_enriched[9]: Writer<br/>         +- transactions_enriched[9]: "
            "Committer<br/>"
        },
    ]
}
SCORING_PLAN = {
    "nodes": [
        {
            "description": "[13]:TableSourceScan(table=[[default_catalog, default_database, "
            "transactions_enriched, project=[TransactionID], metadata=[]]], "
            "fields=[TransactionID])<br/>+- [14]:Calc(select=[TransactionID])<br/>   +- "
            "fraud_predictions[15]: Writer<br/>      +- fraud_predictions[15]: Committer<br/>"
        }
    ]
}


def test_a_plan_names_the_tables_its_job_scans_and_writes() -> None:
    assert tables_of_plan(JOIN_PLAN) == JobTables(
        frozenset({"transactions", "identities"}), frozenset({"transactions_enriched"})
    )
    assert tables_of_plan(SCORING_PLAN) == JobTables(
        frozenset({"transactions_enriched"}), frozenset({"fraud_predictions"})
    )
    assert tables_of_plan({}) == JobTables(frozenset(), frozenset())


def test_readers_are_the_other_jobs_scanning_a_table_a_job_writes() -> None:
    jobs = {
        "join": JobTables(frozenset({"transactions"}), frozenset({"enriched"})),
        "features": JobTables(frozenset({"enriched"}), frozenset({"features"})),
        "scoring": JobTables(frozenset({"features"}), frozenset({"predictions"})),
        "audit": JobTables(frozenset({"enriched", "audit"}), frozenset({"audit"})),
    }
    assert readers_of(jobs) == {
        "join": {"features", "audit"},
        "features": {"scoring"},
        "scoring": set(),
        "audit": set(),  # reading its own output is no chain
    }


@dataclass
class FakeRest:
    """The four REST calls chained commits make, answered from fields a test sets."""

    plans: dict[str, dict]
    completed: dict[str, int | None] = field(default_factory=dict)
    triggers: list[str] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)

    def running_job_ids(self) -> set[str]:
        return set(self.plans)

    def plan(self, job_id: str) -> dict:
        return self.plans[job_id]

    def latest_completed_checkpoint(self, job_id: str) -> int | None:
        if job_id in self.failing:
            raise requests.ConnectionError("JobManager gone")
        return self.completed.get(job_id)

    def trigger_checkpoint(self, job_id: str) -> None:
        if job_id in self.failing:
            raise requests.HTTPError("409 Conflict: job is restarting")
        self.triggers.append(job_id)


def plan(reads: str, writes: str) -> dict:
    return {
        "nodes": [
            {
                "description": f"TableSourceScan(table=[[c, d, {reads}]], fields=[a])<br/>"
                f"+- {writes}[2]: Writer<br/>"
            }
        ]
    }


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def chain() -> tuple[FakeRest, Clock, ChainedCommits]:
    rest = FakeRest(
        {
            "join": plan("transactions", "enriched"),
            "features": plan("enriched", "features"),
            "scoring": plan("features", "predictions"),
        },
        completed={"join": 1, "features": 1, "scoring": 1},
    )
    clock = Clock()
    chained = ChainedCommits(rest, clock=clock)  # type: ignore[arg-type]
    chained.tick()  # the first look: checkpoints already there trigger nothing
    return rest, clock, chained


def test_a_reader_is_triggered_once_after_its_writer_completes_a_checkpoint(chain) -> None:
    rest, clock, chained = chain
    assert rest.triggers == []
    rest.completed["join"] = 2
    clock.now += 0.1
    chained.tick()
    assert rest.triggers == []  # its commit is not readable yet
    clock.now += TRIGGER_DELAY_S
    chained.tick()
    assert rest.triggers == ["features"]
    clock.now += 0.1
    chained.tick()
    assert rest.triggers == ["features"]  # once per completed checkpoint

    rest.completed["features"] = 2  # the triggered checkpoint completes: the next reader
    clock.now += 0.1
    chained.tick()
    clock.now += TRIGGER_DELAY_S
    chained.tick()
    assert rest.triggers == ["features", "scoring"]
    assert chained.triggered == 2


def test_a_cycle_of_statements_triggers_no_faster_than_the_minimum_gap() -> None:
    rest = FakeRest({"a": plan("x", "y"), "b": plan("y", "x")}, completed={"a": 1, "b": 1})
    clock = Clock()
    chained = ChainedCommits(rest, clock=clock)  # type: ignore[arg-type]
    chained.tick()
    rest.completed["a"] = 2  # a periodic checkpoint starts it
    seen = 0
    for _ in range(50):  # 5 s in which every trigger completes at once and triggers the other
        clock.now += 0.1
        for job in rest.triggers[seen:]:
            rest.completed[job] = (rest.completed[job] or 0) + 1
        seen = len(rest.triggers)
        chained.tick()
    assert 2 < len(rest.triggers) <= 2 * (5.0 / MIN_GAP_S + 1)


def test_rest_errors_skip_a_job_without_stopping_the_loop(chain) -> None:
    rest, clock, chained = chain
    rest.failing = {"features"}
    rest.completed["join"] = 2
    clock.now += 0.1
    chained.tick()
    clock.now += TRIGGER_DELAY_S
    chained.tick()  # the trigger of features fails: no exception
    assert rest.triggers == [] and chained.triggered == 0

    rest.failing = set()
    rest.completed["join"] = 3
    clock.now += 0.1 + chained_commits.MIN_GAP_S
    chained.tick()
    clock.now += TRIGGER_DELAY_S
    chained.tick()
    assert rest.triggers == ["features"]


def test_a_job_no_longer_running_is_forgotten(chain) -> None:
    rest, clock, chained = chain
    del rest.plans["features"]
    clock.now += chained_commits.JOBS_EVERY_S
    rest.completed["join"] = 2
    chained.tick()
    clock.now += TRIGGER_DELAY_S
    chained.tick()
    assert rest.triggers == []  # the join has no reader left


def test_chained_commits_are_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.CHAINED_COMMITS_ENV, raising=False)
    assert config.chained_commits()
    monkeypatch.setenv(config.CHAINED_COMMITS_ENV, "off")
    assert not config.chained_commits()
    monkeypatch.setenv(config.CHAINED_COMMITS_ENV, "sometimes")
    with pytest.raises(ConfigError, match="CCFLINK_CHAINED_COMMITS='sometimes': give on or off"):
        config.chained_commits()


def test_a_reader_of_two_writers_gets_the_second_trigger_after_the_gap() -> None:
    both = {
        "nodes": [
            {
                "description": "TableSourceScan(table=[[c, d, x]]) TableSourceScan("
                "table=[[c, d, y]])<br/>+- z[3]: Writer<br/>"
            }
        ]
    }
    rest = FakeRest(
        {"left": plan("a", "x"), "right": plan("b", "y"), "reader": both},
        completed={"left": 1, "right": 1, "reader": 1},
    )
    clock = Clock()
    chained = ChainedCommits(rest, clock=clock)  # type: ignore[arg-type]
    chained.tick()
    rest.completed["left"] = 2
    clock.now += TRIGGER_DELAY_S
    chained.tick()
    clock.now += TRIGGER_DELAY_S
    chained.tick()
    assert rest.triggers == ["reader"]
    rest.completed["right"] = 2  # within the gap: its rows wait for the gap, not the interval
    for _ in range(int(MIN_GAP_S / 0.1) + 1):
        clock.now += 0.1
        chained.tick()
    assert rest.triggers == ["reader", "reader"]
