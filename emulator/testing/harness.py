"""What a test gets as `ccflink`: the stack's addresses, and helpers that run the user's SQL,
serve their model, write rows as their tables declare them and read what statements wrote.

Statements run through one `Session`, the entry `ccflink sql` uses, made on first use (it
starts the JVM Flink's planner runs in). Its catalog is the one every helper reads and
changes, so the connection a test records is the one its next CREATE MODEL finds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from emulator import stack
from emulator.catalog import Connection, StatementRecord
from emulator.config import Settings
from emulator.demo import complete
from emulator.dialect.text import quote_identifier
from emulator.flink.rest import STATUS_BY_JOB_STATE, FlinkRest
from emulator.kafka.topics import list_topics
from emulator.process import ManagedProcess, ServiceError
from emulator.results.values import Row
from emulator.sql import statements
from emulator.sql.result import StatementResult
from emulator.sql.session import Session
from emulator.sql.statements import StatementStateError
from emulator.testing import containers, endpoints, lifecycle
from emulator.testing.produce import write_rows
from emulator.testing.reading import Where, read_rows
from emulator.testing.rows import RowsInput
from emulator.topic_reader import AvroTopicReader
from producers.declared import TIMESTAMP_FIELD

LOG = logging.getLogger("ccflink.testing")
STATUS_POLL_S = 1.0
TOPICS_GONE_TIMEOUT_S = 30.0


class StatusTimeout(AssertionError):
    """A statement did not reach the status a test waited for: a test failure, with where it
    stands and why."""


class Ccflink:
    """The `ccflink` fixture's object: one stack, shared by the session's tests."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._session: Session | None = None

    @property
    def bootstrap_servers(self) -> str:
        return self.settings.bootstrap_servers

    @property
    def schema_registry_url(self) -> str:
        return self.settings.schema_registry_url

    @property
    def flink_rest_url(self) -> str:
        return self.settings.flink_rest_url

    @property
    def session(self) -> Session:
        """The SQL session every statement runs in (`ccflink sql`'s)."""
        if self._session is None:
            self._session = Session(self.settings, LOG.info)
        return self._session

    # --- statements ---------------------------------------------------------------------------

    def sql(self, text: str, source: str = "<sql>") -> list[StatementResult]:
        """Run Confluent SQL statement by statement, as `ccflink sql` does; the first failure
        raises StatementError naming the statement (`source`, line, column) and why."""
        return self.session.execute_script(text, source)

    def sql_file(self, path: str | Path) -> list[StatementResult]:
        """Run a SQL file as it is in your workspace; errors name the file."""
        return self.sql(Path(path).read_text(), str(path))

    def connection(
        self,
        name: str,
        *,
        url: str | None = None,
        api_key: str | None = None,
        score: str | Path | None = None,
        model_dir: str | Path | None = None,
    ) -> str:
        """Record the connection a CREATE MODEL's `azureml.connection` names: to an endpoint
        that runs (`url` of its /score, `api_key`), or to your Azure ML scoring script served
        here with its model folder (`score`, `model_dir`: $AZUREML_MODEL_DIR). Returns the
        scoring URL."""
        if score is not None and model_dir is not None and url is None and api_key is None:
            served = endpoints.serve_script(self.settings, name, Path(score), Path(model_dir))
            url, api_key = served.url, served.api_key
        elif url is None or api_key is None or score is not None or model_dir is not None:
            raise TypeError(
                "connection() takes url= and api_key= (an endpoint that runs), or score= and "
                "model_dir= (a scoring script and its model folder, served for the test)"
            )
        catalog = self.session.context.catalog
        catalog.connections[name] = Connection(
            name=name, type="azureml", endpoint=url, api_key=api_key, cloud="local", region="local"
        )
        catalog.save()
        return url

    def wait_for_status(
        self, statement: str, status: str, timeout: float = 60.0
    ) -> StatementRecord:
        """Wait until the statement's status (from its Flink job) is `status`; StatusTimeout
        when the time runs out or it ended in another status."""
        catalog = self.session.context.catalog
        rest = FlinkRest(self.flink_rest_url)
        deadline = time.monotonic() + timeout
        while True:
            statements.refresh(catalog, rest)
            entry = statements.get(catalog, statement)
            if entry.status == status:
                return entry
            ended = entry.status not in statements.LIVE
            if ended or time.monotonic() > deadline:
                why = "and will not become it" if ended else f"after {timeout:g} s"
                detail = f": {entry.detail}" if entry.detail else ""
                raise StatusTimeout(
                    f"statement {statement!r} is {entry.status}, not {status}, {why}{detail}"
                )
            time.sleep(STATUS_POLL_S)

    def drain(self, table: str) -> list[StatementRecord]:
        """Emit every row the statements writing `table` hold back for the watermark, then
        finish them (COMPLETED), once they have read their input to the end.

        A test's input is bounded: no newer record comes to move the watermark past the last
        rows of a LEFT interval join, so they would never be emitted otherwise.
        """
        catalog = self.session.context.catalog
        drained = complete.finish_replay(self.settings, LOG.info, (table,), catalog)
        if not drained:
            raise StatementStateError(f"no running statement writes table `{table}` to drain")
        return drained

    # --- rows ---------------------------------------------------------------------------------

    def produce(
        self,
        table: str,
        rows: RowsInput,
        *,
        at: datetime | None = None,
        timestamp_field: str | None = TIMESTAMP_FIELD,
    ) -> int:
        """Write rows (dicts, a DataFrame or a CSV path) to `table` as it declares them: its
        registered key and value schemas, columns by name, text converted to the fields'
        types. A row that does not fit raises RowError before any is sent. `at` is the
        records' timestamp ($rowtime; default now), which also fills `timestamp_field`."""
        return write_rows(self.settings, table, rows, at=at, timestamp_field=timestamp_field)

    def read(
        self,
        table: str,
        count: int | None = None,
        where: Where | None = None,
        timeout: float = 60.0,
    ) -> list[Row]:
        """The table's rows (committed records, key fields included) for which `where` holds,
        once at least `count` (default one) came; ReadTimeout after `timeout` seconds."""
        reader = AvroTopicReader.of(self.settings, table)
        return read_rows(reader, table, count, where, timeout)

    # --- the stack ----------------------------------------------------------------------------

    def reset(self) -> None:
        """Start again from nothing: statements stopped and forgotten, tables dropped with their
        topics and subjects, models and connections removed, the endpoints served stopped.

        A kept stack is reset when a session starts; call it between tests that must not see
        each other's tables.
        """
        catalog = self.session.context.catalog
        rest = FlinkRest(self.flink_rest_url)
        for name in list(catalog.statements):
            statements.delete(catalog, rest, name)
        for job_id in rest.job_ids():  # what no statement lists: SELECTs cut short
            if STATUS_BY_JOB_STATE.get(rest.job_state(job_id) or "") in statements.LIVE:
                rest.cancel(job_id)
        tables = list(catalog.tables)
        drops = [
            *(f"DROP MODEL {quote_identifier(name)};" for name in catalog.models),
            *(f"DROP TABLE {quote_identifier(name)};" for name in tables),
            *(f"DROP CONNECTION {quote_identifier(name)};" for name in catalog.connections),
        ]
        if drops:
            self.sql("\n".join(drops), "<reset>")
        catalog.statements.clear()
        catalog.save()
        endpoints.stop_all(self.settings)
        self._wait_until_deleted(tables)

    def _wait_until_deleted(self, topics: list[str]) -> None:
        """Kafka deletes topics in the background; a table created again needs them gone."""
        deadline = time.monotonic() + TOPICS_GONE_TIMEOUT_S
        security = self.settings.kafka_security
        while left := set(topics) & list_topics(self.bootstrap_servers, security):
            if time.monotonic() > deadline:
                raise ServiceError(f"topics {sorted(left)} still exist after they were deleted")
            time.sleep(0.2)

    def log_sections(self) -> list[tuple[str, str]]:
        """Each service's and endpoint's log tail, for a failed test's report."""
        names = [*lifecycle.SERVICES, *endpoints.running(self.settings)]
        return [
            (f"ccflink {name} log (last lines)", ManagedProcess(name, self.settings).log_tail())
            for name in names
        ]


def backend_problem(backend: str) -> str | None:
    """Why the session's stack cannot run on `backend` here, or None."""
    if backend == containers.BACKEND:
        return containers.docker_engine_problem(f"--ccflink-backend={backend}")
    return None


@contextmanager
def session_stack(
    keep: Path | None, new_dir: Callable[[], Path], backend: str = "local", image: str | None = None
) -> Iterator[Ccflink]:
    """The session's harness: on the stack kept in `keep` (reset first, left running after),
    else on a new one in `new_dir()` (local processes, or one container), stopped at the end."""
    began = time.monotonic()
    if backend == containers.BACKEND:
        with _container_stack(new_dir(), image) as settings:
            LOG.info("stack ready in a container in %.1f s", time.monotonic() - began)
            yield Ccflink(settings)
        return
    if keep is not None:
        harness = Ccflink(lifecycle.keep_in(keep.resolve()))
        harness.reset()
        LOG.info("stack ready in %.1f s", time.monotonic() - began)
        yield harness
        return
    settings = lifecycle.start(new_dir())
    LOG.info("stack ready in %.1f s", time.monotonic() - began)
    try:
        yield Ccflink(settings)
    finally:
        stack.down(settings)


@contextmanager
def _container_stack(state_dir: Path, image: str | None) -> Iterator[Settings]:
    """The stack in a `CcflinkContainer` (its image built from this checkout unless named),
    removed at the end with the model servers the tests started."""
    container = containers.CcflinkContainer(state_dir, image=image or containers.build_image())
    container.start()
    settings = container.settings()
    try:
        yield settings
    finally:
        endpoints.stop_all(settings)
        container.stop()
