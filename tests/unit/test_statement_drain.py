"""Finishing a bounded replay: Flink's stop-with-savepoint with drain, the statement it leaves,
and the command line that asks for it (`flink statement drain`, `up --until-complete`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.catalog import Catalog, CatalogError
from emulator.cli.parser import build_parser
from emulator.config import Settings
from emulator.flink.rest import FlinkRest, SavepointError
from emulator.sql import statements
from emulator.sql.statements import StatementStateError
from tests.fake_flink import TRIGGER_ID, FakeFlink

JOIN_SQL = (
    "CREATE TABLE transactions_enriched AS\nSELECT t.*, i.id_01 FROM transactions t "
    "LEFT JOIN identities i ON t.TransactionID = i.TransactionID"
)


@pytest.fixture
def catalog(tmp_path: Path, flink: FakeFlink) -> Catalog:
    catalog = Catalog.for_state(tmp_path)
    statements.record(catalog, "cli-join", JOIN_SQL, "RUNNING", job_id=flink.job_id)
    statements.record(catalog, "cli-ddl", "CREATE TABLE transactions (a INT)", "COMPLETED")
    return catalog


# --- the command line ---------------------------------------------------------------------


def test_the_demo_replays_with_event_time_unless_told_otherwise() -> None:
    parser = build_parser()
    assert parser.parse_args(["up", "--demo"]).timestamps == "event"
    assert parser.parse_args(["up", "--demo", "--data", "kaggle"]).timestamps == "event"
    assert parser.parse_args(["up", "--demo", "--timestamps", "wall"]).timestamps == "wall"


def test_produce_keeps_the_cloud_demos_wall_clock() -> None:
    assert build_parser().parse_args(["produce", "--data", "kaggle"]).timestamps == "wall"


def test_until_complete_is_off_unless_asked() -> None:
    parser = build_parser()
    assert parser.parse_args(["up", "--demo"]).until_complete is False
    assert parser.parse_args(["up", "--demo", "--until-complete"]).until_complete is True


def test_statement_drain_is_a_command() -> None:
    args = build_parser().parse_args(["flink", "statement", "drain", "cli-join"])
    assert (args.name, args.handler) == ("cli-join", "sql_commands:cmd_statement_drain")


# --- the REST call ------------------------------------------------------------------------


def test_drain_stops_with_a_draining_savepoint_and_polls_it_until_done(flink: FakeFlink) -> None:
    location = FlinkRest(flink.url).stop_with_savepoint(
        flink.job_id, "file:///state/savepoints", drain=True
    )
    assert location == "file:/state/savepoints/savepoint-a1b2c3-1"
    stop, *polls = flink.requests
    assert (stop.method, stop.path) == ("POST", f"/jobs/{flink.job_id}/stop")
    assert stop.body == {"drain": True, "targetDirectory": "file:///state/savepoints"}
    assert [p.path for p in polls] == [f"/jobs/{flink.job_id}/savepoints/{TRIGGER_ID}"] * 3


def test_a_failed_savepoint_says_why(flink: FakeFlink) -> None:
    flink.savepoint = {
        "failure-cause": {"class": "x", "stack-trace": "java.io.IOException: disk full\n\tat a.b"}
    }
    with pytest.raises(SavepointError, match=r"java\.io\.IOException: disk full$"):
        FlinkRest(flink.url).stop_with_savepoint(
            flink.job_id, "file:///state/savepoints", drain=True
        )


def test_a_refused_drain_gives_flinks_reason(flink: FakeFlink) -> None:
    with pytest.raises(SavepointError, match="Job nope not found"):
        FlinkRest(flink.url).stop_with_savepoint("nope", "file:///state/savepoints", drain=True)


def test_a_savepoint_that_never_ends_times_out(flink: FakeFlink) -> None:
    flink.polls_before_done = 10**6
    with pytest.raises(SavepointError, match="not stopped after 0 s"):
        FlinkRest(flink.url).stop_with_savepoint(
            flink.job_id, "file:///s", drain=True, wait_seconds=0.0
        )


# --- the statement ------------------------------------------------------------------------


def test_a_drained_statement_is_completed_with_its_savepoint(
    catalog: Catalog, flink: FakeFlink, tmp_path: Path
) -> None:
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    statements.drain(catalog, FlinkRest(flink.url), settings, "cli-join")
    assert flink.requests[0].body["targetDirectory"] == (tmp_path / "savepoints").as_uri()
    saved = Catalog.for_state(tmp_path).statements["cli-join"]
    assert saved.status == "COMPLETED"  # as Confluent shows a statement that read its end
    assert saved.detail is not None and "file:/state/savepoints/savepoint-a1b2c3-1" in saved.detail


def test_only_a_running_statement_can_be_drained(
    catalog: Catalog, flink: FakeFlink, tmp_path: Path
) -> None:
    settings = Settings(state_dir=tmp_path, jars_dir=tmp_path)
    with pytest.raises(StatementStateError, match="'cli-ddl' is COMPLETED"):
        statements.drain(catalog, FlinkRest(flink.url), settings, "cli-ddl")
    with pytest.raises(CatalogError, match="does not exist"):
        statements.drain(catalog, FlinkRest(flink.url), settings, "cli-none")
    assert flink.requests == []


def test_the_statements_writing_a_table_are_found_by_their_sql(catalog: Catalog) -> None:
    for name, sql in (
        ("cli-insert", "insert into `transactions_enriched` SELECT 1"),
        ("cli-other", "CREATE TABLE transactions_enriched2 AS SELECT 1"),
        (
            "cli-noted",
            "-- why\n/* it's */ CREATE TABLE IF NOT EXISTS transactions_enriched AS SELECT 1",
        ),
    ):
        statements.record(catalog, name, sql, "RUNNING", job_id=f"job-{name}")
    found = statements.writing_to(catalog, "transactions_enriched")
    assert [entry.name for entry in found] == ["cli-join", "cli-insert", "cli-noted"]
    assert statements.writing_to(catalog, "transactions") == []  # its CREATE TABLE runs no job
