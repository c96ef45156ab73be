"""Exactly-once as Confluent sets it: checkpoints and restarts on every job, transactional Kafka
sinks named after their statement, read-committed sources, restores from a savepoint."""

from __future__ import annotations

import pytest
import yaml

from emulator import config, tables
from emulator.catalog import Catalog, TableEntry
from emulator.dialect.parse import Insert
from emulator.dialect.statements import ColumnDef
from emulator.dialect.text import DialectError
from emulator.flink.cluster import job_settings, write_config
from emulator.sql.context import Context
from emulator.sql.environment import RESTORE_KEY, FlinkEnvironment
from tests.unit.test_shell import FakeEnvironment, FakeIterator, FakeTableResult


@pytest.fixture
def settings(tmp_path, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    monkeypatch.setenv("CCFLINK_HOME", str(tmp_path))
    monkeypatch.delenv("FLINK_PROPERTIES", raising=False)
    return config.settings_from_env()


def table(**options: str) -> TableEntry:
    return TableEntry("scored", [ColumnDef("id", "STRING")], options=dict(options))


def ddl_options(ddl: str) -> dict[str, str]:
    with_clause = ddl.split(") WITH (", 1)[1].rstrip(")")
    pairs = [line.strip().rstrip(",") for line in with_clause.splitlines() if "=" in line]
    return {k.strip(" '"): v.strip(" '") for k, v in (p.split(" = ", 1) for p in pairs)}


def test_every_job_checkpoints_keeps_its_checkpoints_and_restarts_with_backoff(settings) -> None:
    chosen = job_settings(settings)
    assert chosen["execution.checkpointing.interval"] == "5 s"
    assert chosen["execution.checkpointing.mode"] == "EXACTLY_ONCE"
    assert chosen["execution.checkpointing.externalized-checkpoint-retention"] == (
        "RETAIN_ON_CANCELLATION"
    )
    assert chosen["execution.checkpointing.dir"].startswith(f"file://{settings.state_dir}")
    assert chosen["restart-strategy.type"] == "exponential-delay"


def test_flink_properties_override_the_jobs_fault_tolerance_and_the_clusters(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLINK_PROPERTIES", "execution.checkpointing.interval: 60 s")
    assert job_settings(settings)["execution.checkpointing.interval"] == "60 s"
    written = yaml.safe_load((write_config(settings) / "config.yaml").read_text())
    assert written["execution"]["checkpointing"]["interval"] == "60 s"
    assert written["restart-strategy"]["type"] == "exponential-delay"


def test_a_sink_writes_in_transactions_named_after_its_statement(settings) -> None:
    options = ddl_options(tables.flink_ddl(settings, table(), writer="cli-2026-join"))
    assert options["sink.delivery-guarantee"] == "exactly-once"
    assert options["sink.transactional-id-prefix"] == "cli-2026-join"
    # At most the broker's transaction.max.timeout.ms (15 min), or Kafka refuses the producer.
    assert int(options["properties.transaction.timeout.ms"]) <= 15 * 60 * 1000
    read_only = ddl_options(tables.flink_ddl(settings, table()))
    assert read_only["sink.transactional-id-prefix"] == "ccflink-scored"


def test_sources_read_committed_unless_the_table_says_otherwise(settings) -> None:
    assert ddl_options(tables.flink_ddl(settings, table()))["properties.isolation.level"] == (
        "read_committed"
    )
    uncommitted = table(**{"kafka.consumer.isolation-level": "read-uncommitted"})
    assert ddl_options(tables.flink_ddl(settings, uncommitted))["properties.isolation.level"] == (
        "read_uncommitted"
    )
    with pytest.raises(DialectError, match=r"'kafka.consumer.isolation-level' = 'dirty'"):
        tables.flink_ddl(settings, table(**{"kafka.consumer.isolation-level": "dirty"}))


def test_an_insert_names_the_tables_it_writes_outside_strings_and_comments() -> None:
    assert Insert("INSERT INTO `fraud_predictions` SELECT 1").targets == ["fraud_predictions"]
    statement_set = (
        "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; /* INSERT INTO z */ "
        "INSERT INTO b SELECT 'INSERT INTO c'; INSERT INTO a SELECT 2; END"
    )
    assert Insert(statement_set).targets == ["a", "b"]


def test_a_restored_statement_starts_from_its_savepoint_and_the_next_does_not() -> None:
    environment = FakeEnvironment(FakeTableResult(["k"], FakeIterator([])))
    flink = FlinkEnvironment(settings=None, t_env=environment)
    flink.submit("resumed", "INSERT INTO t SELECT 1", 1, restore_from="file:///sp/savepoint-1")
    flink.submit("new", "INSERT INTO t SELECT 2", 1)
    assert environment.config_at_submit[0][RESTORE_KEY] == "file:///sp/savepoint-1"
    assert RESTORE_KEY not in environment.config_at_submit[1]


class RecordingFlink:
    """The Flink environment as Context.submit uses it: declarations and one submission."""

    def __init__(self) -> None:
        self.writers: dict[str, str | None] = {}

    def define(self, table: TableEntry, _scan, *, replace: bool, writer: str | None) -> None:
        self.writers[table.name] = writer

    def submit(self, name: str, sql: str, parallelism: int, *, restore_from: str | None) -> str:
        return "job-1"


def test_each_sink_of_a_statement_set_gets_its_own_transactional_ids(tmp_path) -> None:
    # Two sinks with one prefix would take the same transactional ids and fence each other.
    catalog = Catalog.for_state(tmp_path)
    for name in ("big_orders", "small_orders"):
        catalog.tables[name] = TableEntry(name, [ColumnDef("id", "INT")])
    flink = RecordingFlink()
    context = Context(settings=None, catalog=catalog, flink=flink, say=lambda message: None)
    context.submit("cli-split", "EXECUTE STATEMENT SET ...", ["big_orders", "small_orders"])
    assert flink.writers == {
        "big_orders": "cli-split-big_orders",
        "small_orders": "cli-split-small_orders",
    }
