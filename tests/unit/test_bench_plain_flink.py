"""The plain-Flink comparison's own parts: its hand-written SQL is SQL Flink takes (parsed and
validated by a PyFlink TableEnvironment with the connector jars; the sinks' columns as
ccflink's features table has them), ccflink's files run with only their output tables
renamed, and the figures' arithmetic."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyflink.table import EnvironmentSettings, TableEnvironment

from benchmarks.plain_flink.figures import Ratio, SideRun
from benchmarks.plain_flink.statements import PLAIN_OPTIONS, ccflink_script, plain_statements
from emulator import config
from emulator.config import Settings
from emulator.flink.cluster import connector_jars
from pyflink_jobs import PIPELINE_SQL_DIR


def test_the_plain_sql_is_flink_sql_writing_the_features_columns(tmp_path: Path) -> None:
    t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
    jars = connector_jars(Settings(tmp_path, jars_dir=config.jars_dir()))  # `make setup`'s
    t_env.get_config().set("pipeline.jars", ";".join(jar.as_uri() for jar in jars))
    for key, value in PLAIN_OPTIONS.items():
        t_env.get_config().set(key, value)
    parser = t_env._j_tenv.getParser()
    kinds = []
    for prefix in ("p1_", "p2_"):  # two rounds in one session, as the benchmark runs them
        for sql in plain_statements("localhost:9092", "http://localhost:8081", prefix):
            operation = parser.parse(sql).get(0)
            kinds.append(operation.getClass().getSimpleName())
            if kinds[-1] == "CreateTableASOperation":  # its table, without running its query
                t_env._j_tenv.executeInternal(operation.getCreateTableOperation())
            else:
                t_env.execute_sql(sql)
    assert kinds == [*["CreateTableOperation"] * 2, *["CreateTableASOperation"] * 2] * 2

    def columns(table: str) -> list[str]:
        return t_env.from_path(table).get_schema().get_field_names()

    identity = [c for c in columns("identities") if c not in ("TransactionID", "$rowtime")]
    transaction = [c for c in columns("transactions") if c != "$rowtime"]
    assert columns("p1_transactions_enriched") == transaction + identity
    assert columns("p1_transactions_features") == [
        *transaction,
        *identity,
        "DT_D",
        "DT_W",
        "DT_M",
    ]


def test_ccflinks_files_run_unchanged_but_for_their_output_tables() -> None:
    original = "\n".join(
        (PIPELINE_SQL_DIR / name).read_text() for name in ("02_join.sql", "03_features.sql")
    )
    script = ccflink_script("ccflink2_")
    assert "CREATE TABLE ccflink2_transactions_enriched AS" in script
    assert "CREATE TABLE ccflink2_transactions_features AS" in script
    assert "FROM ccflink2_transactions_enriched;" in script
    assert "FROM transactions t\nLEFT JOIN identities i" in script
    assert script.replace("ccflink2_", "") == original


def test_rates_cpu_per_row_and_their_ratio() -> None:
    ccflink = SideRun("ccflink", 2, 10_000, 1_000, 3_000, 4.0)
    plain = SideRun("plain Flink", 2, 10_000, 1_000, 5_000, 2.0)
    assert ccflink.rows_per_second == 5_000
    assert plain.rows_per_second == 2_500
    assert ccflink.cpu_ms_per_row == pytest.approx(0.4)
    ratio = Ratio.of(ccflink, plain)
    assert ratio.rate == pytest.approx(2.0)
    assert ratio.cpu == pytest.approx(2.0)


def test_a_run_without_output_has_no_rate_and_no_ratio() -> None:
    empty = SideRun("plain Flink", 1, 0, 0, 0, 1.0)
    assert empty.rows_per_second == 0.0
    assert empty.cpu_ms_per_row == 0.0
    assert Ratio.of(SideRun("ccflink", 1, 5, 0, 1_000, 1.0), empty) == Ratio(0.0, 0.0)
