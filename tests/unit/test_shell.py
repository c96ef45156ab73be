"""The Flink SQL shell (statement accumulation, exit, errors, Ctrl-C) and SELECT results (the
changelog applied to a result table, limits, the job cancelled) without a stack."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import pytest
from pyflink.common import Row, RowKind

from emulator.catalog import Catalog
from emulator.cli.output import format_rows
from emulator.cli.shell import ChangePrinter, Shell, StatementBuffer
from emulator.dialect.parse import Query
from emulator.dialect.splitter import Statement
from emulator.sql.context import Context
from emulator.sql.environment import FlinkEnvironment
from emulator.sql.errors import StatementError
from emulator.sql.executors.jobs import select
from emulator.sql.query import ResultTable, SelectLimits, returned_as
from emulator.sql.result import QueryEnd, StatementResult
from emulator.sql.session import Session

# --- statement accumulation ---------------------------------------------------------------------


def feed_all(lines: list[str]) -> list[list[Statement]]:
    buffer = StatementBuffer()
    return [buffer.feed(line) for line in lines]


def test_a_statement_spans_lines_until_its_semicolon() -> None:
    buffer = StatementBuffer()
    assert buffer.feed("SELECT k,") == []
    assert buffer.pending
    assert buffer.feed("  COUNT(*) FROM t") == []
    [statement] = buffer.feed("GROUP BY k;")
    assert statement == Statement("SELECT k,\n  COUNT(*) FROM t\nGROUP BY k", 1, 1)
    assert not buffer.pending


def test_several_statements_on_one_line_and_the_rest_waits() -> None:
    buffer = StatementBuffer()
    assert buffer.feed("SHOW TABLES;") == [Statement("SHOW TABLES", 1, 1)]
    assert buffer.feed("SELECT 1; SELECT 2; SELECT") == [
        Statement("SELECT 1", 2, 1),
        Statement("SELECT 2", 2, 11),
    ]
    assert buffer.pending
    assert buffer.feed("3;") == [Statement("SELECT\n3", 2, 21)]


def test_semicolons_in_quotes_and_comments_do_not_end_a_statement() -> None:
    buffer = StatementBuffer()
    assert buffer.feed("SELECT 'a;b', `c;d` -- e;f") == []
    assert buffer.feed("/* g; */ FROM t;") == [
        Statement("SELECT 'a;b', `c;d` \n  FROM t", 1, 1),
    ]


def test_comments_and_blank_lines_alone_are_not_pending() -> None:
    buffer = StatementBuffer()
    assert buffer.feed("") == []
    assert buffer.feed("-- a comment;") == []
    assert not buffer.pending


def test_statement_set_stays_open_until_end() -> None:
    buffer = StatementBuffer()
    assert buffer.feed("EXECUTE STATEMENT SET BEGIN") == []
    assert buffer.feed("INSERT INTO a SELECT * FROM t;") == []
    assert buffer.feed("INSERT INTO b SELECT * FROM t;") == []
    [statement] = buffer.feed("END;")
    assert statement.text.startswith("EXECUTE STATEMENT SET BEGIN")
    assert statement.text.endswith("END")


def test_statements_before_an_open_statement_set_run_at_once() -> None:
    buffer = StatementBuffer()
    assert [s.text for s in buffer.feed("SHOW TABLES; EXECUTE STATEMENT SET BEGIN")] == [
        "SHOW TABLES"
    ]
    assert buffer.feed("INSERT INTO a SELECT * FROM t;") == []
    assert len(buffer.feed("END;")) == 1


def test_flush_returns_the_unterminated_rest() -> None:
    buffer = StatementBuffer()
    buffer.feed("SHOW TABLES;")
    buffer.feed("SELECT 1")
    assert buffer.flush() == [Statement("SELECT 1", 2, 1)]
    assert buffer.flush() == []


# --- the read-eval-print loop -------------------------------------------------------------------


class FakeSession:
    def __init__(self, fail: set[str] = frozenset(), interrupt: set[str] = frozenset()) -> None:
        self.ran: list[tuple[str, int, int]] = []
        self.fail = fail
        self.interrupt = interrupt

    def execute(self, statement: Statement, source: str, index: int) -> StatementResult:
        assert source == "<shell>"
        self.ran.append((statement.text, statement.line, index))
        if statement.text in self.interrupt:
            raise KeyboardInterrupt
        if statement.text in self.fail:
            raise StatementError(f"{source}:{statement.line}: {statement.text}\n  it failed")
        return StatementResult(
            "SHOW", "1 tables", columns=["Table Name"], rows=[("t",)], name=f"stmt-{index}"
        )


# How the shell prints FakeSession's result rows (as `ccflink sql` prints them).
TABLE = format_rows(["Table Name"], [("t",)])


def lines_then_eof(lines: list[str | type[BaseException]]):
    prompts: list[str] = []
    items = iter(lines)

    def read_line(prompt: str) -> str:
        prompts.append(prompt)
        item = next(items, EOFError)
        if isinstance(item, type) and issubclass(item, BaseException):
            raise item
        return item

    return read_line, prompts


def run_shell(
    lines: list, session: FakeSession, interactive: bool = False
) -> tuple[int, list[str], list[str]]:
    read_line, prompts = lines_then_eof(lines)
    output: list[str] = []
    code = Shell(session, read_line, output.append, interactive).run()
    return code, output, prompts


def test_piped_input_runs_every_statement_until_eof() -> None:
    session = FakeSession()
    code, output, prompts = run_shell(["SHOW TABLES;\n", "SELECT 1\n", "FROM t;\n"], session)
    assert code == 0
    assert output == [f"  [stmt-{index}] 1 tables\n{TABLE}" for index in (1, 2)]
    assert session.ran == [("SHOW TABLES", 1, 1), ("SELECT 1\nFROM t", 2, 2)]
    assert set(prompts) == {""}  # no prompt without a terminal


def test_piped_input_runs_a_last_statement_without_semicolon() -> None:
    session = FakeSession()
    run_shell(["SHOW TABLES"], session)
    assert session.ran == [("SHOW TABLES", 1, 1)]


def test_prompts_show_continuation_while_a_statement_is_open() -> None:
    _, _, prompts = run_shell(["SELECT 1", "FROM t;", "quit;"], FakeSession(), interactive=True)
    assert prompts == ["ccflink> ", "      -> ", "ccflink> "]


@pytest.mark.parametrize("word", ["quit;", "exit;", "QUIT", "exit", "  Quit ;"])
def test_quit_and_exit_leave(word: str) -> None:
    session = FakeSession()
    code, _, _ = run_shell(["SHOW TABLES;", word, "SHOW MODELS;"], session, interactive=True)
    assert code == 0
    assert [text for text, _, _ in session.ran] == ["SHOW TABLES"]


def test_quit_after_statements_on_the_same_line() -> None:
    session = FakeSession()
    run_shell(["SHOW TABLES; quit; SHOW MODELS;"], session)
    assert [text for text, _, _ in session.ran] == ["SHOW TABLES"]


def test_quit_inside_an_open_statement_is_sql() -> None:
    session = FakeSession()
    run_shell(["SELECT", "quit;"], session)
    assert session.ran == [("SELECT\nquit", 1, 1)]


def test_ctrl_d_leaves_and_discards_an_unfinished_statement() -> None:
    session = FakeSession()
    code, output, _ = run_shell(["SHOW TABLES;", "SELECT 1"], session, interactive=True)
    assert code == 0
    assert [text for text, _, _ in session.ran] == ["SHOW TABLES"]
    assert output == [f"  [stmt-1] 1 tables\n{TABLE}", "\n(unfinished statement discarded)"]


def test_errors_print_the_message_and_the_shell_goes_on() -> None:
    session = FakeSession(fail={"SELECT nope"})
    code, output, _ = run_shell(["SELECT nope;", "SHOW TABLES;"], session)
    assert [text for text, _, _ in session.ran] == ["SELECT nope", "SHOW TABLES"]
    assert output == ["error: <shell>:1: SELECT nope\n  it failed", "  [stmt-2] 1 tables\n" + TABLE]
    assert code == 1  # piped input: a failure shows in the exit code


def test_interactive_errors_keep_exit_code_zero() -> None:
    code, output, _ = run_shell(["SELECT nope;"], FakeSession(fail={"SELECT nope"}), True)
    assert code == 0 and output[0].startswith("error: ")


def test_ctrl_c_at_the_prompt_drops_the_typed_statement() -> None:
    session = FakeSession()
    run_shell(["SELECT 1", KeyboardInterrupt, "SHOW TABLES;"], session, interactive=True)
    assert session.ran == [("SHOW TABLES", 2, 1)]


def test_ctrl_c_during_a_statement_keeps_the_interactive_shell() -> None:
    session = FakeSession(interrupt={"SELECT * FROM t"})
    code, output, _ = run_shell(["SELECT * FROM t;", "SHOW TABLES;"], session, True)
    assert code == 0 and "interrupted" in output
    assert [text for text, _, _ in session.ran] == ["SELECT * FROM t", "SHOW TABLES"]


def test_ctrl_c_during_piped_input_stops() -> None:
    session = FakeSession(interrupt={"SELECT * FROM t"})
    with pytest.raises(KeyboardInterrupt):
        run_shell(["SELECT * FROM t;", "SHOW TABLES;"], session)


# --- the result table ---------------------------------------------------------------------------


def test_append_only_rows_keep_arrival_order() -> None:
    table = ResultTable(["k", "n"])
    for values in [("a", 1), ("b", 2), ("a", 1)]:
        table.apply("+I", values)
    assert table.rows == [("a", 1), ("b", 2), ("a", 1)]
    assert not table.updating and table.changes == 3


def test_updates_replace_the_row_in_place() -> None:
    table = ResultTable(["k", "count"])
    table.apply("+I", ("a", 1))
    table.apply("+I", ("b", 1))
    table.apply("-U", ("a", 1))
    assert table.pending_update and table.rows == [("b", 1)]
    table.apply("+U", ("a", 2))
    assert table.rows == [("a", 2), ("b", 1)]
    assert table.updating and not table.pending_update and table.changes == 4


def test_delete_removes_one_matching_row() -> None:
    table = ResultTable(["k"])
    for kind, values in [("+I", ("a",)), ("+I", ("b",)), ("+I", ("a",)), ("-D", ("a",))]:
        table.apply(kind, values)
    assert table.rows == [("b",), ("a",)]


def test_retraction_of_an_unknown_row_is_ignored_and_plus_u_appends() -> None:
    table = ResultTable(["k", "count"])
    table.apply("-U", ("x", 1))
    table.apply("+U", ("x", 2))
    assert table.rows == [("x", 2)]


def test_unknown_row_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown row kind"):
        ResultTable(["k"]).apply("+X", ("a",))


def test_change_printer_writes_a_header_per_result_then_one_line_per_change() -> None:
    output: list[str] = []
    printer = ChangePrinter(output.append)
    table = ResultTable(["k", "n"])
    for kind, values in [("+I", ("a", 1)), ("-U", ("a", 1)), ("+U", ("a", None))]:
        table.apply(kind, values)
        printer(table, kind, values)
    printer(ResultTable(["x"]), "+I", (1,))
    assert output == ["op | k | n", "+I | a | 1", "-U | a | 1", "+U | a | NULL", "op | x", "+I | 1"]


# --- reading a SELECT (a fake TableResult in place of Flink) ------------------------------------


class FakeIterator:
    """Flink's CloseableIterator: rows, then it blocks like hasNext() until closed (unless the
    query is bounded), or fails."""

    def __init__(self, rows: list[Row], bounded: bool = False, error: Exception | None = None):
        self.rows = list(rows)
        self.bounded = bounded
        self.error = error
        self.closed = threading.Event()

    def __iter__(self):
        return self

    def __next__(self) -> Row:
        if self.rows:
            return self.rows.pop(0)
        if self.error is not None:
            raise self.error
        if not self.bounded:
            self.closed.wait(30)
        raise StopIteration

    def close(self) -> None:
        self.closed.set()


class FakeTableResult:
    def __init__(self, columns: list[str], iterator: FakeIterator) -> None:
        self.columns = columns
        self.iterator = iterator

    def get_job_client(self):
        return type("Client", (), {"get_job_id": lambda self: "job-1"})()

    def get_resolved_schema(self):
        columns = self.columns
        return type("Schema", (), {"get_column_names": lambda self: columns})()

    def collect(self) -> FakeIterator:
        return self.iterator


class FakeConfig(dict):
    """TableConfig and its Configuration, as the engine uses them."""

    def set(self, key: str, value: str) -> None:
        self[key] = value

    def get_configuration(self) -> FakeConfig:
        return self

    def get_string(self, key: str, default: str) -> str:
        return self.get(key, default)

    def remove_config(self, key: str) -> bool:
        return self.pop(key, None) is not None


class FakeEnvironment:
    def __init__(self, result: FakeTableResult) -> None:
        self.result = result
        self.config = FakeConfig()
        self.sql: list[str] = []
        self.config_at_submit: list[dict[str, str]] = []

    def get_config(self) -> FakeConfig:
        return self.config

    def execute_sql(self, sql: str) -> FakeTableResult:
        self.sql.append(sql)
        self.config_at_submit.append(dict(self.config))
        return self.result


def row(kind: RowKind, *values) -> Row:
    result = Row(*values)
    result.set_row_kind(kind)
    return result


class FakeFlink(FlinkEnvironment):
    """The engine's window on Flink over FakeEnvironment; a query's columns have `types`."""

    def __init__(self, environment: FakeEnvironment, types: dict[str, str]) -> None:
        super().__init__(settings=None, t_env=environment)
        self.types = types

    def result_types(self, query: str) -> list[tuple[str, str]]:
        return [(name, self.types.get(name, "INT")) for name in self.t_env.result.columns]

    def cancel_job(self, job_id: str) -> None:
        """Flink's REST cancel: the job ends, so the reader's hasNext() returns."""
        self.t_env.result.iterator.closed.set()


def fake_session(iterator: FakeIterator, columns=("k", "n"), types=None) -> Session:
    session = Session.__new__(Session)
    environment = FakeEnvironment(FakeTableResult(list(columns), iterator))
    session.context = Context(
        settings=None,
        catalog=Catalog(Path(tempfile.mkdtemp()) / "catalog.json"),
        flink=FakeFlink(environment, types or {}),
        say=lambda message: None,
    )
    return session


INSERTS = [row(RowKind.INSERT, "a", 1), row(RowKind.INSERT, "b", 2), row(RowKind.INSERT, "c", 3)]


def test_select_stops_at_max_rows_and_closes_the_iterator() -> None:
    iterator = FakeIterator(INSERTS)
    session = fake_session(iterator)
    seen: list[str] = []
    result = session.select(
        "SELECT k, n FROM t;", max_rows=2, on_row=lambda table, kind, values: seen.append(kind)
    )
    assert result.rows == [("a", 1), ("b", 2)] and result.columns == ["k", "n"]
    assert result.query.stopped == "limit" and seen == ["+I", "+I"]
    assert iterator.closed.is_set()
    assert session.context.flink.t_env.sql == ["SELECT k, n FROM t"]
    assert session.context.flink.t_env.config["pipeline.name"].startswith("cli-")
    assert result.summary() == "2 rows; stopped at the limit of 2 rows, job job-1 cancelled"


def test_a_select_runs_without_checkpoints_and_the_session_keeps_its_interval() -> None:
    # With checkpoints, Flink's collect sink would hold each row until a checkpoint covers it.
    session = fake_session(FakeIterator(INSERTS))
    environment = session.context.flink.t_env
    environment.config["execution.checkpointing.interval"] = "5 s"
    session.select("SELECT k, n FROM t", max_rows=2)
    assert "execution.checkpointing.interval" not in environment.config_at_submit[-1]
    assert environment.config["execution.checkpointing.interval"] == "5 s"


def test_a_querys_own_limit_ends_the_reading_once_its_rows_came() -> None:
    iterator = FakeIterator(INSERTS)  # then blocks, as an unbounded source does
    result = fake_session(iterator).select("SELECT k, n FROM t LIMIT 2", idle_timeout=30)
    assert result.rows == [("a", 1), ("b", 2)] and result.query.stopped == "limit"
    assert iterator.closed.is_set()
    scripted = select(fake_session(FakeIterator(INSERTS)).context, Query("VALUES (1) LIMIT 1"), "n")
    assert len(scripted.rows) == 1 and scripted.query.stopped == "limit"


def test_columns_python_cannot_receive_whole_are_cast_in_an_outer_select() -> None:
    ltz = "TIMESTAMP(3) WITH LOCAL TIME ZONE NOT NULL"
    types = {"k": "INT", "$rowtime": ltz, "fine": "TIMESTAMP(9)", "nested": f"ARRAY<{ltz}>"}
    columns = ("k", "$rowtime", "fine", "nested")
    session = fake_session(FakeIterator([], bounded=True), columns, types)
    session.select("SELECT k, $rowtime, fine, nested FROM t")
    assert session.context.flink.t_env.sql == [
        "SELECT `k`, CAST(`$rowtime` AS TIMESTAMP(3)) AS `$rowtime`, "
        "CAST(`fine` AS STRING) AS `fine`, "
        "CAST(`nested` AS ARRAY<TIMESTAMP(3)>) AS `nested` "
        "FROM (SELECT k, $rowtime, fine, nested FROM t)"
    ]


@pytest.mark.parametrize(
    ("sql_type", "cast"),
    [
        ("TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP(3)"),
        ("TIMESTAMP(6) WITH LOCAL TIME ZONE NOT NULL", "STRING"),
        ("TIMESTAMP(9)", "STRING"),
        ("TIMESTAMP(3)", None),
        (
            "ROW<`a` INT NOT NULL, `b` TIMESTAMP(3) WITH LOCAL TIME ZONE>",
            "ROW<`a` INT, `b` TIMESTAMP(3)>",
        ),
        ("MAP<STRING, TIMESTAMP(3) WITH LOCAL TIME ZONE>", "MAP<STRING, TIMESTAMP(3)>"),
        ("DECIMAL(10, 3)", None),
        ("DATE", None),
    ],
)
def test_what_each_type_is_returned_as(sql_type: str, cast: str | None) -> None:
    assert returned_as(sql_type) == cast


def test_select_applies_the_changelog_and_stops_when_idle() -> None:
    iterator = FakeIterator(
        [
            row(RowKind.INSERT, "a", 1),
            row(RowKind.UPDATE_BEFORE, "a", 1),
            row(RowKind.UPDATE_AFTER, "a", 2),
            row(RowKind.INSERT, "b", 1),
        ]
    )
    result = fake_session(iterator).select("SELECT k, COUNT(*) FROM t GROUP BY k", idle_timeout=0.3)
    assert result.rows == [("a", 2), ("b", 1)]
    assert result.query.updating and result.query.changes == 4 and result.query.stopped == "idle"
    assert iterator.closed.is_set()
    assert result.summary().startswith("2 rows (4 changes applied); stopped after 0.3 s without")


def test_select_without_rows_stops_after_the_startup_timeout() -> None:
    result = fake_session(FakeIterator([])).select("SELECT * FROM t", startup_timeout=0.2)
    assert result.rows == [] and result.query.stopped == "no-rows"


def test_select_stops_at_the_overall_time_limit() -> None:
    result = fake_session(FakeIterator(INSERTS[:1])).select(
        "SELECT * FROM t", idle_timeout=None, timeout=0.3
    )
    assert result.rows == [("a", 1)] and result.query.stopped == "timeout"


def test_bounded_select_finishes() -> None:
    result = fake_session(FakeIterator(INSERTS, bounded=True)).select("VALUES (1)")
    assert len(result.rows) == 3 and result.query.stopped == "finished"
    assert result.summary() == "3 rows; the query finished"


def test_ctrl_c_stops_reading_when_asked_and_raises_otherwise() -> None:
    def interrupt(table: ResultTable, kind: str, values: tuple) -> None:
        raise KeyboardInterrupt

    iterator = FakeIterator(INSERTS)
    result = fake_session(iterator).select(
        "SELECT * FROM t", on_row=interrupt, stop_on_interrupt=True
    )
    assert result.query.stopped == "interrupted" and result.rows == [("a", 1)]
    assert iterator.closed.is_set()
    iterator = FakeIterator(INSERTS)
    with pytest.raises(KeyboardInterrupt):
        fake_session(iterator).select("SELECT * FROM t", on_row=interrupt)
    assert iterator.closed.is_set()


def test_a_failing_query_raises_its_error() -> None:
    iterator = FakeIterator(INSERTS[:1], error=RuntimeError("job failed"))
    with pytest.raises(RuntimeError, match="job failed"):
        fake_session(iterator).select("SELECT * FROM t")


def test_select_refuses_what_confluent_refuses_and_non_queries() -> None:
    session = fake_session(FakeIterator([]))
    with pytest.raises(StatementError, match="PROCTIME"):
        session.select("SELECT PROCTIME() FROM t")
    with pytest.raises(StatementError, match="select\\(\\) runs SELECT"):
        session.select("INSERT INTO a SELECT * FROM t")
    assert session.context.flink.t_env.sql == []


def test_scripts_route_queries_to_select_with_the_session_limits() -> None:
    session = fake_session(FakeIterator(INSERTS))
    session.select_limits = SelectLimits(max_rows=2)
    result = select(session.context, Query("WITH x AS (SELECT 1) SELECT * FROM x"), "n1")
    assert result.columns == ["k", "n"] and result.rows == [("a", 1), ("b", 2)]
    assert result.message == "SELECT: 2 rows; stopped at the limit of 2 rows, job job-1 cancelled"
    assert result.job_id is None
    assert session.context.flink.t_env.config["pipeline.name"] == "n1"


def test_select_result_summary_for_one_row() -> None:
    end = QueryEnd(changes=1, updating=False, stopped="finished", reason="the query finished")
    result = StatementResult("SELECT", "", "j", ["k"], [("a",)], query=end)
    assert result.summary() == "1 row; the query finished"
