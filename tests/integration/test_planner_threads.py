"""A statement planned on another py4j thread than the one that created the planner: Flink
fails it with `NullPointerException: metadataHandlerProvider` (FLINK-23020) unless the thread is
given Calcite's metadata provider first. A real client JVM; no cluster needed to plan.

py4j serves a connection that a second Python thread opened on a new Java thread, or on one
it reuses; the test takes the provider from the calling thread instead, so the thread is one
that never planned every time."""

from __future__ import annotations

import pytest

from emulator import config
from emulator.config import Settings
from emulator.sql.environment import FlinkEnvironment
from emulator.sql.planner_threads import SYMPTOM, PlannerThreads

pytestmark = pytest.mark.integration
TABLE = "CREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen')"


def test_a_statement_plans_on_a_py4j_thread_that_never_planned_before(tmp_path) -> None:
    flink = FlinkEnvironment(Settings(tmp_path, jars_dir=config.jars_dir()))
    flink.execute(TABLE)
    threads = PlannerThreads(flink.t_env)

    # As the workspace's statements failed: planned on a thread without the provider (and
    # the planner caches the broken metadata query this leaves).
    threads.forget()
    with pytest.raises(Exception, match=SYMPTOM):
        flink.t_env.sql_query("SELECT a + 2 FROM s WHERE a > 3").explain()

    # Through the environment: the thread primed, the broken metadata query dropped.
    threads.forget()
    explained = flink.execute("EXPLAIN SELECT a + 3 FROM s WHERE a > 4")
    assert "Optimized Execution Plan" in next(iter(explained.collect()))[0]
    threads.forget()
    assert [c.name for c in flink.query_columns("SELECT a + 1 AS b FROM s")] == ["b"]
