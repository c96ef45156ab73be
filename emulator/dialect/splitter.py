"""Split a SQL script into statements, keeping where each one starts.

Semicolons inside quotes, backticks or comments do not end a statement; the start line and
column let errors point at the statement the user wrote, not at a rewritten one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.dialect.text import DialectError


@dataclass(frozen=True)
class Statement:
    text: str
    line: int  # 1-based line of the statement's first character in the script
    column: int  # 1-based column of the same


_SET_START = re.compile(r"(?is)^EXECUTE\s+STATEMENT\s+SET\s+BEGIN\b")
_SET_END = re.compile(r"(?is)^END$")


def split_statements(script: str) -> list[Statement]:
    """Statements in order; `EXECUTE STATEMENT SET BEGIN ...; ...; END;` stays one statement."""
    return _join_statement_sets(_split(script))


def _join_statement_sets(statements: list[Statement]) -> list[Statement]:
    joined: list[Statement] = []
    open_set: list[Statement] = []
    for statement in statements:
        if open_set:
            open_set.append(statement)
            if _SET_END.match(statement.text):
                first = open_set[0]
                text = ";\n".join(s.text for s in open_set[:-1]) + ";\nEND"
                joined.append(Statement(text, first.line, first.column))
                open_set = []
        elif _SET_START.match(statement.text):
            open_set = [statement]
        else:
            joined.append(statement)
    if open_set:
        first = open_set[0]
        raise DialectError(
            f"line {first.line}: EXECUTE STATEMENT SET BEGIN has no END; close it with END;"
        )
    return joined


def _split(script: str) -> list[Statement]:
    statements: list[Statement] = []
    buffer: list[str] = []
    start: tuple[int, int] | None = None
    line, column = 1, 1
    quote: str | None = None
    index = 0
    while index < len(script):
        char = script[index]
        pair = script[index : index + 2]
        if quote is None and pair == "--":
            end = script.find("\n", index)
            end = len(script) if end == -1 else end
            index, column = end, column + (end - index)
            continue
        if quote is None and pair == "/*":
            end = script.find("*/", index + 2)
            end = len(script) if end == -1 else end + 2
            comment = script[index:end]
            line += comment.count("\n")
            column = (
                len(comment) - comment.rfind("\n") if "\n" in comment else column + len(comment)
            )
            index = end
            if start is not None:
                buffer.append(" ")  # a comment separates tokens like whitespace
            continue
        if quote is None and char == ";":
            text = "".join(buffer).strip()
            if text and start is not None:
                statements.append(Statement(text, *start))
            buffer, start = [], None
        else:
            if quote is None and char in "'`\"":
                quote = char
            elif quote == char:
                quote = None
            if start is None and not char.isspace():
                start = (line, column)
            if start is not None:
                buffer.append(char)
        if char == "\n":
            line, column = line + 1, 1
        else:
            column += 1
        index += 1
    text = "".join(buffer).strip()
    if text and start is not None:
        statements.append(Statement(text, *start))
    return statements
