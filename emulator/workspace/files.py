"""Workspaces as `.sql` files: one statement per cell, as the seed's `pyflink_jobs/sql` files are
written, kept in `<state>/workspaces/<name>.sql`.

A cell keeps the comments written above its statement; the file is the cells one after the
other, so a file opened and saved again keeps its text.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from common.errors import CcflinkError
from emulator.dialect.splitter import split_statements

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class WorkspaceError(CcflinkError):
    """A workspace name or file the workspace cannot use."""


class NoSuchWorkspace(WorkspaceError):
    """No workspace has that name."""


def _line_starts(script: str) -> list[int]:
    starts = [0]
    starts += [index + 1 for index, char in enumerate(script) if char == "\n"]
    return starts


def _is_lead_in(line: str) -> bool:
    """A blank or comment line, which belongs to the statement below it."""
    stripped = line.strip()
    return not stripped or stripped.startswith("--")


def cells_of(script: str) -> list[str]:
    """The script cut into one cell per statement, each with the comments above it.

    A DialectError (an EXECUTE STATEMENT SET without END) names the line, as in a script.
    """
    statements = split_statements(script)
    if not statements:
        return [script.strip()] if script.strip() else []
    starts = _line_starts(script)
    lines = script.split("\n")
    cuts = [0]
    for previous, statement in itertools.pairwise(statements):
        line = statement.line
        if statement.column == 1:
            while line - 1 > previous.line and _is_lead_in(lines[line - 2]):
                line -= 1
            cuts.append(starts[line - 1])
        else:
            cuts.append(starts[line - 1] + statement.column - 1)
    cuts.append(len(script))
    return [script[begin:end].strip() for begin, end in itertools.pairwise(cuts)]


def file_text(cells: list[str]) -> str:
    """The cells as one script, each statement ended by `;` so the cells come back the same."""
    parts = []
    for cell in (cell.strip() for cell in cells):
        if not cell:
            continue
        if not cell.endswith(";"):
            last_line = cell.rsplit("\n", 1)[-1]
            cell += "\n;" if last_line.lstrip().startswith("--") else ";"
        parts.append(cell)
    return "\n\n".join(parts) + "\n" if parts else ""


def checked_name(name: str) -> str:
    """A workspace's name, safe as a file name in the state folder."""
    if not _NAME.match(name):
        raise WorkspaceError(
            f"workspace name {name!r}: use letters, digits, '.', '_' or '-' (up to 64, "
            "starting with a letter or digit)"
        )
    return name


class Workspaces:
    """The workspaces of one state folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.folder.glob("*.sql"))

    def path(self, name: str) -> Path:
        return self.folder / f"{checked_name(name)}.sql"

    def text(self, name: str) -> str:
        path = self.path(name)
        if not path.is_file():
            raise NoSuchWorkspace(f"workspace {name!r} does not exist in {self.folder}")
        return path.read_text()

    def cells(self, name: str) -> list[str]:
        return cells_of(self.text(name))

    def save(self, name: str, cells: list[str]) -> Path:
        path = self.path(name)
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".sql.tmp")
        temporary.write_text(file_text(cells))
        temporary.replace(path)
        return path
