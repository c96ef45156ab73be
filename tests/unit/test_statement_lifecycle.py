"""Statements as Confluent runs them: stop with a savepoint, resume from it, DEGRADED while
restarting, their failures listed, and what `up` brings back after `down` or a lost cluster."""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

import pytest

from emulator import supervisor
from emulator.catalog import Catalog
from emulator.cli.parser import build_parser
from emulator.config import Settings
from emulator.flink import cluster
from emulator.flink.checkpoints import retained_checkpoint
from emulator.flink.rest import FlinkRest, JobException
from emulator.process import ManagedProcess
from emulator.sql import recovery, statements
from emulator.sql.environment import RESTORE_KEY
from emulator.sql.errors import StatementError
from emulator.sql.statements import StatementStateError
from tests.fake_flink import FakeFlink
from tests.unit.test_shell import fake_session

INSERT = "INSERT INTO scored SELECT * FROM transactions"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path, jars_dir=tmp_path)


def checkpoint(settings: Settings, job_id: str, number: int, complete: bool = True) -> Path:
    folder = settings.checkpoints_dir / job_id / f"chk-{number}"
    folder.mkdir(parents=True)
    if complete:
        (folder / "_metadata").write_bytes(b"meta")
    return folder


class ScriptedRest:
    """FlinkRest's answers for one job, without a server."""

    def __init__(self, state: str | None, failures: list[JobException] | None = None) -> None:
        self.state, self.failures, self.cancelled = state, failures or [], []

    def job_state(self, job_id: str) -> str | None:
        return self.state

    def exceptions(self, job_id: str) -> list[JobException]:
        return self.failures

    def failure(self, job_id: str) -> str | None:
        return self.failures[0].message if self.failures else None

    def cancel(self, job_id: str) -> str:
        self.cancelled.append(job_id)
        return "CANCELED"


# --- stop and resume ------------------------------------------------------------------------


def test_stop_takes_a_savepoint_without_draining_and_keeps_it_to_resume_from(
    flink: FakeFlink, settings: Settings
) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-scoring", INSERT, "RUNNING", job_id=flink.job_id)
    stopped = statements.stop(catalog, FlinkRest(flink.url), settings, "cli-scoring")
    stop_request = flink.requests[1]
    assert stop_request.body == {
        "drain": False,
        "targetDirectory": settings.savepoints_dir.as_uri(),
    }
    assert stopped.status == "STOPPED"
    assert stopped.restore_point == "file:/state/savepoints/savepoint-a1b2c3-1"
    assert Catalog.for_state(settings.state_dir).statements["cli-scoring"].restore_point == (
        stopped.restore_point
    )


def test_a_job_that_cannot_take_a_savepoint_is_cancelled_and_resumes_from_its_checkpoint(
    settings: Settings,
) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-scoring", INSERT, "DEGRADED", job_id="j1")
    checkpoint(settings, "j1", 7)
    rest = ScriptedRest("RESTARTING")
    stopped = statements.stop(catalog, rest, settings, "cli-scoring")
    assert rest.cancelled == ["j1"] and stopped.status == "STOPPED"
    assert stopped.restore_point == (settings.checkpoints_dir / "j1" / "chk-7").as_uri()


def test_the_latest_complete_checkpoint_is_the_restore_point(settings: Settings) -> None:
    assert retained_checkpoint(settings, "j1") is None
    checkpoint(settings, "j1", 9)
    checkpoint(settings, "j1", 10)
    checkpoint(settings, "j1", 11, complete=False)  # being written when the job died
    assert (
        retained_checkpoint(settings, "j1") == (settings.checkpoints_dir / "j1" / "chk-10").as_uri()
    )


def test_resume_without_a_checkpoint_starts_over_and_refuses_what_is_not_stopped(
    settings: Settings,
) -> None:
    session = fake_session(iterator=None)
    session.context.settings = settings
    session.context.catalog = Catalog.for_state(settings.state_dir)
    statements.record(session.context.catalog, "cli-new", INSERT, "STOPPED", job_id="j9")
    resumed = session.resume("cli-new")  # no checkpoint completed: it had committed nothing
    environment = session.context.flink.t_env
    assert RESTORE_KEY not in environment.config_at_submit[-1]
    assert environment.sql[-1] == INSERT
    assert resumed.status == "RUNNING" and "from the beginning" in (resumed.detail or "")
    statements.record(session.context.catalog, "cli-done", INSERT, "COMPLETED")
    with pytest.raises(StatementStateError, match="only a stopped statement can be resumed"):
        session.resume("cli-done")


def test_resume_restores_the_savepoint_with_the_statements_options(settings: Settings) -> None:
    session = fake_session(iterator=None)
    session.context.settings = settings
    session.context.catalog = Catalog.for_state(settings.state_dir)
    statements.record(
        session.context.catalog,
        "cli-scoring",
        INSERT,
        "STOPPED",
        job_id="j1",
        options={"execution.checkpointing.interval": "1 s"},
    )
    session.context.catalog.statements["cli-scoring"].restore_point = "file:///sp/savepoint-1"
    session.resume("cli-scoring")
    submitted = session.context.flink.t_env.config_at_submit[-1]
    assert submitted[RESTORE_KEY] == "file:///sp/savepoint-1"
    assert submitted["execution.checkpointing.interval"] == "1 s"
    assert submitted["pipeline.name"] == "cli-scoring"


# --- status ---------------------------------------------------------------------------------


def test_a_statement_restarting_after_failures_is_degraded_with_the_last_one(
    settings: Settings,
) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-scoring", INSERT, "RUNNING", job_id="j1")
    just_now = JobException(int(time.time() * 1000), "PredictionError: endpoint unreachable")
    statements.refresh(catalog, ScriptedRest("RUNNING", [just_now]))
    entry = catalog.statements["cli-scoring"]
    assert entry.status == "DEGRADED" and "endpoint unreachable" in (entry.detail or "")
    long_ago = JobException(int((time.time() - 3600) * 1000), "old")
    statements.refresh(catalog, ScriptedRest("RUNNING", [long_ago]))
    assert catalog.statements["cli-scoring"].status == "RUNNING"
    statements.refresh(catalog, ScriptedRest("RESTARTING"))
    assert catalog.statements["cli-scoring"].status == "DEGRADED"


def test_a_job_the_cluster_lost_keeps_its_statement_meant_to_run(settings: Settings) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-scoring", INSERT, "RUNNING", job_id="j1")
    statements.refresh(catalog, ScriptedRest(None))
    assert catalog.statements["cli-scoring"].status == "RUNNING"


def test_exception_list_gives_each_failure_its_time_and_the_line_that_says_why(
    flink: FakeFlink, settings: Settings
) -> None:
    trace = "java.lang.RuntimeException: Error received from SDK harness\n\tat org.a.B\n"
    flink.exception_entries = [
        {"timestamp": 1_700_000_060_000, "stacktrace": trace + "PredictionError: unreachable"},
        {"timestamp": 1_700_000_000_000, "stacktrace": "java.io.IOException: broker gone"},
    ]
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-scoring", INSERT, "RUNNING", job_id=flink.job_id)
    assert statements.exceptions(catalog, FlinkRest(flink.url), "cli-scoring") == [
        JobException(1_700_000_060_000, "PredictionError: unreachable"),
        JobException(1_700_000_000_000, "java.io.IOException: broker gone"),
    ]


# --- recovery at up -------------------------------------------------------------------------


class FakeSession:
    """A session per resumed statement, as recovery opens them."""

    resumed: ClassVar[list[str]] = []

    def __init__(self, settings: Settings, _say) -> None:
        self.catalog = Catalog.for_state(settings.state_dir)

    def resume(self, name: str):
        entry = self.catalog.statements[name]
        if entry.sql != INSERT:
            raise StatementError("Flink: the savepoint's state does not match the job")
        FakeSession.resumed.append(name)
        entry.status, entry.detail = "RUNNING", "Resumed"
        self.catalog.save()
        return entry


def test_up_brings_back_what_was_meant_to_run_and_stops_what_cannot_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-suspended", INSERT, "PENDING", job_id="gone-1")
    catalog.statements["cli-suspended"].restore_point = "file:///sp/savepoint-1"
    statements.record(catalog, "cli-killed", INSERT, "RUNNING", job_id="gone-2")
    checkpoint(settings, "gone-2", 3)
    statements.record(catalog, "cli-changed", INSERT, "RUNNING", job_id="gone-3")
    catalog.statements["cli-changed"].sql = "INSERT INTO scored SELECT * FROM changed"
    statements.record(catalog, "cli-stopped", INSERT, "STOPPED", job_id="gone-4")
    statements.record(catalog, "cli-alive", INSERT, "RUNNING", job_id="alive")
    catalog.save()
    monkeypatch.setattr(recovery, "Session", FakeSession)
    monkeypatch.setattr(recovery.FlinkRest, "job_ids", lambda self: {"alive"})
    recovered = recovery.recover(settings, lambda message: None)
    assert FakeSession.resumed == ["cli-suspended", "cli-killed"]  # oldest first
    assert [r.name for r in recovered] == ["cli-suspended", "cli-killed"]
    after = Catalog.for_state(settings.state_dir).statements
    assert after["cli-changed"].status == "STOPPED"
    assert "could not start with the state it needs" in (after["cli-changed"].detail or "")
    assert after["cli-stopped"].status == "STOPPED" and after["cli-alive"].status == "RUNNING"


def test_down_suspends_running_statements_with_savepoints(
    flink: FakeFlink, settings: Settings
) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.record(catalog, "cli-scoring", INSERT, "RUNNING", job_id=flink.job_id)
    settings_here = Settings(
        state_dir=settings.state_dir,
        jars_dir=settings.jars_dir,
        ports=settings.ports.__class__(flink_rest=int(flink.url.rsplit(":", 1)[1])),
    )
    suspended = recovery.suspend(settings_here, lambda message: None)
    assert [s.name for s in suspended] == ["cli-scoring"]
    entry = Catalog.for_state(settings.state_dir).statements["cli-scoring"]
    assert entry.status == "PENDING" and entry.restore_point is not None


# --- the supervisor and the command line -----------------------------------------------------


def test_the_supervisor_replaces_only_a_taskmanager_that_died_by_itself(
    settings: Settings,
) -> None:
    jobmanager = ManagedProcess(cluster.JOBMANAGER, settings)
    taskmanager = ManagedProcess(cluster.TASKMANAGER, settings)
    jobmanager.start(["sleep", "300"])
    try:
        assert not supervisor.taskmanager_lost(settings)  # no pid file: stopped by `down`
        taskmanager.start(["true"])
        while taskmanager.is_running():  # until it has exited on its own
            time.sleep(0.05)
        assert supervisor.taskmanager_lost(settings)
        taskmanager.start(["sleep", "300"])
        assert not supervisor.taskmanager_lost(settings)
    finally:
        taskmanager.stop()
        jobmanager.stop()


def test_resume_update_and_exception_list_are_commands() -> None:
    parse = build_parser().parse_args
    assert parse(["flink", "statement", "resume", "s"]).handler == (
        "sql_commands:cmd_statement_resume"
    )
    update = parse(["flink", "statement", "update", "s", "--stopped=false"])
    assert (update.handler, update.stopped) == ("sql_commands:cmd_statement_update", False)
    assert parse(["flink", "statement", "exception", "list", "s"]).handler == (
        "sql_commands:cmd_statement_exceptions"
    )
