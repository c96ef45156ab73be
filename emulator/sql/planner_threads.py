"""Planning from any of the py4j connections' Java threads (FLINK-23020, not fixed upstream).

Calcite keeps the metadata provider the planner needs in a thread-local, set only on the
Java thread that created the TableEnvironment's planner. py4j serves each of its connections
on its own Java thread and hands an idle connection to whichever Python thread calls next, so
once two threads have called at once (a SELECT's reader waiting for rows while a statement is
planned), a statement can be planned on a thread without the provider: Flink fails it with
`NullPointerException: metadataHandlerProvider` and caches the broken metadata query.

So before planning, the calling thread is given the provider (one py4j call, on the
connection the planning call then uses), and if planning still met a thread without it, the
cached metadata query is dropped and the statement planned once more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pyflink.java_gateway import get_gateway
from pyflink.table import TableEnvironment

T = TypeVar("T")
SYMPTOM = "metadataHandlerProvider"
_QUERY_BASE = "org.apache.calcite.rel.metadata.RelMetadataQueryBase"
_JANINO = "org.apache.calcite.rel.metadata.JaninoRelMetadataProvider"
_PROVIDER = "org.apache.calcite.rel.metadata.RelMetadataProvider"
_FLINK_PROVIDER = "org.apache.flink.table.planner.plan.metadata.FlinkDefaultRelMetadataProvider"


class PlannerThreads:
    """Gives py4j's Java threads the planner's metadata provider; see the module's docstring."""

    def __init__(self, t_env: TableEnvironment) -> None:
        self._t_env = t_env
        self._thread_local: Any = None
        self._provider: Any = None

    def _look_up(self) -> None:
        """Calcite's classes live in the planner's own class loader: found by reflection."""
        gateway = get_gateway()
        jvm = gateway.jvm
        loader = self._t_env._j_tenv.getPlanner().getClass().getClassLoader()

        def load(name: str) -> Any:
            return jvm.java.lang.Class.forName(name, True, loader)

        def array(kind: Any, *items: Any) -> Any:
            values = gateway.new_array(kind, len(items))
            for index, item in enumerate(items):
                values[index] = item
            return values

        no_classes, no_objects = array(jvm.java.lang.Class), array(jvm.java.lang.Object)
        flink_provider = load(_FLINK_PROVIDER).getMethod("INSTANCE", no_classes)
        provider_of = load(_JANINO).getMethod("of", array(jvm.java.lang.Class, load(_PROVIDER)))
        self._provider = provider_of.invoke(
            None, array(jvm.java.lang.Object, flink_provider.invoke(None, no_objects))
        )
        self._thread_local = load(_QUERY_BASE).getField("THREAD_PROVIDERS").get(None)

    def prime(self) -> None:
        """Give the Java thread of the connection the next py4j call uses the provider."""
        if self._thread_local is None:
            self._look_up()
        self._thread_local.set(self._provider)

    def forget(self) -> None:
        """Take the provider from the next call's thread: a thread that never planned (how
        the integration test makes one, since py4j may reuse a primed thread)."""
        if self._thread_local is None:
            self._look_up()
        self._thread_local.remove()

    def plan(self, call: Callable[[], T]) -> T:
        """`call` (anything that plans SQL), on a primed thread; once more if it met one that
        was not."""
        self.prime()
        try:
            return call()
        except Exception as error:  # py4j's error, carrying Flink's
            if SYMPTOM not in str(error):
                raise
        self.prime()
        self._t_env._j_tenv.getPlanner().createRelBuilder().getCluster().invalidateMetadataQuery()
        return call()
