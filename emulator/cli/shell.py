"""`ccflink flink shell`: an interactive Flink SQL shell, as `confluent flink shell`.

Statements end with `;` and may span lines; `quit;` or `exit;` (or a bare `quit`/`exit`, or
Ctrl-D) leaves. Every statement runs as `ccflink sql` runs it, in Confluent's dialect, and prints
the same lines; an error prints its message and the shell goes on.

A SELECT prints its changelog line by line as rows arrive (`op | col ...`, op being +I, -U, +U
or -D; no screen redraw, so the output also reads well in a log), then the result table with
the changes applied: an updating query (GROUP BY counts) shows its current rows, an append-only
query every row. It runs until Ctrl-C (which cancels its job and keeps the shell), until it
holds `--max-rows` rows (default 1000), after `--idle-timeout` seconds without a new row (off
by default), or when a bounded query ends.

With input from a pipe or file (`echo "SHOW TABLES;" | ccflink flink shell`) there is no
prompt: it runs each statement until the end of input, a SELECT with the limits of `ccflink
sql` (20 rows, 10 s without a new row), and exits with 1 if a statement failed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from common.errors import CcflinkError
from emulator.cli.output import result_text
from emulator.dialect.splitter import Statement, split_statements
from emulator.dialect.text import DialectError

PROMPT = "ccflink> "
CONTINUATION = "      -> "
EXIT_WORDS = {"quit", "exit"}
INTERACTIVE_MAX_ROWS = 1000


def _scan(text: str) -> tuple[list[int], bool]:
    """Offsets just past each `;` that ends a statement, and whether there is any SQL at all.

    Quotes, backticks and comments follow the splitter's rules: a `;` inside them ends nothing.
    """
    ends: list[int] = []
    content = False
    quote: str | None = None
    index = 0
    while index < len(text):
        char, pair = text[index], text[index : index + 2]
        if quote is None and pair == "--":
            newline = text.find("\n", index)
            index = len(text) if newline == -1 else newline
            continue
        if quote is None and pair == "/*":
            close = text.find("*/", index + 2)
            index = len(text) if close == -1 else close + 2
            continue
        if quote is None and char == ";":
            ends.append(index + 1)
        elif quote is None and char in "'`\"":
            quote = char
        elif quote == char:
            quote = None
        if not char.isspace() and char != ";":
            content = True
        index += 1
    return ends, content


class StatementBuffer:
    """Lines in, complete statements out, with their line and column in the whole input.

    A statement is complete at a `;` outside quotes and comments, except inside `EXECUTE
    STATEMENT SET BEGIN ... END;`, which stays open until its END.
    """

    def __init__(self) -> None:
        self._text = ""
        self._first_line = 1  # input line where self._text starts
        self._lines_read = 0

    @property
    def pending(self) -> bool:
        """Unfinished SQL is waiting for its `;`."""
        return _scan(self._text)[1]

    def clear(self) -> None:
        self._first_line = self._lines_read + 1
        self._text = ""

    def feed(self, line: str) -> list[Statement]:
        if not self._text:
            self._first_line = self._lines_read + 1
        self._lines_read += 1
        self._text += line if line.endswith("\n") else line + "\n"
        ends, _ = _scan(self._text)
        for end in reversed(ends):
            try:
                statements = self._place(split_statements(self._text[:end]))
            except DialectError:  # an open EXECUTE STATEMENT SET: wait for its END
                continue
            self._consume(end)
            return statements
        return []

    def flush(self) -> list[Statement]:
        """What is left at the end of input, as statements (the last may lack its `;`).

        An EXECUTE STATEMENT SET without END raises ValueError, as in a script.
        """
        statements = self._place(split_statements(self._text)) if self.pending else []
        self._text = ""
        return statements

    def _consume(self, end: int) -> None:
        done, rest = self._text[:end], self._text[end:]
        column = end - (done.rfind("\n") + 1)
        # Spaces in place of the consumed part of its line keep the rest's columns right.
        self._text = " " * column + rest if _scan(rest)[1] else ""
        self._first_line += done.count("\n")

    def _place(self, statements: list[Statement]) -> list[Statement]:
        offset = self._first_line - 1
        return [Statement(s.text, s.line + offset, s.column) for s in statements]


def is_exit(text: str) -> bool:
    return text.strip().rstrip(";").strip().lower() in EXIT_WORDS


class ChangePrinter:
    """A SELECT's changes, one line each: a header when a new result starts, then `op | values`."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write
        self._table: Any = None

    def __call__(self, table: Any, kind: str, values: tuple) -> None:
        if table is not self._table:
            self._table = table
            self.write(" | ".join(["op", *table.columns]))
        self.write(" | ".join([kind, *("NULL" if v is None else str(v) for v in values)]))


class Shell:
    """A read-eval-print loop over a session with `execute(statement, source, index)`."""

    def __init__(
        self,
        session: Any,
        read_line: Callable[[str], str],
        write: Callable[[str], None],
        interactive: bool,
        source: str = "<shell>",
    ) -> None:
        self.session = session
        self.read_line = read_line  # raises EOFError at the end of input
        self.write = write
        self.interactive = interactive
        self.source = source
        self.buffer = StatementBuffer()
        self.index = 0
        self.failures = 0

    def run(self) -> int:
        while True:
            prompt = CONTINUATION if self.buffer.pending else PROMPT
            try:
                line = self.read_line(prompt if self.interactive else "")
            except EOFError:
                return self._end_of_input()
            except KeyboardInterrupt:  # at the prompt: drop what was typed, as psql does
                self.buffer.clear()
                self.write("")
                continue
            if not self.buffer.pending and is_exit(line):
                return self._exit_code()
            for statement in self.buffer.feed(line):
                if is_exit(statement.text):
                    return self._exit_code()
                self.run_statement(statement)

    def run_statement(self, statement: Statement) -> None:
        self.index += 1
        try:
            result = self.session.execute(statement, self.source, self.index)
        except KeyboardInterrupt:
            if not self.interactive:
                raise
            self.write("interrupted")
        except CcflinkError as error:
            self.failures += 1
            self.write(f"error: {error}")
        else:
            self.write(result_text(result))

    def _end_of_input(self) -> int:
        if self.interactive:
            if self.buffer.pending:
                self.write("\n(unfinished statement discarded)")
            else:
                self.write("")
            return self._exit_code()
        for statement in self.buffer.flush():
            if is_exit(statement.text):
                break
            self.run_statement(statement)
        return self._exit_code()

    def _exit_code(self) -> int:
        return 1 if self.failures and not self.interactive else 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-rows",
        type=int,
        help=f"stop a SELECT once its result holds this many rows (interactive default "
        f"{INTERACTIVE_MAX_ROWS}, piped input 20; 0: no limit)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=float,
        help="stop a SELECT after this many seconds without a new row "
        "(interactive default: never, piped input 10; 0: never)",
    )
