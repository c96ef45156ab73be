"""How the command line shows things: lines as they happen, rows as a plain text table."""

from __future__ import annotations

from emulator.sql.result import StatementResult, cell


def say(message: str) -> None:
    print(message, flush=True)


def format_rows(columns: list[str], rows: list[tuple]) -> str:
    """A plain text table, as the Flink SQL client prints results."""
    cells = [[str(c) for c in columns]] + [[cell(v) for v in r] for r in rows]
    if any("\n" in cell for row in cells for cell in row):
        return "\n".join(cell for row in cells[1:] for cell in row)
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def result_text(result: StatementResult) -> str:
    """A statement's result as `ccflink sql` and the shell print it."""
    text = f"  [{result.name}] {result.message}"
    # SHOW CREATE's message is the statement itself: no table of it as well.
    if result.columns and not result.kind.startswith("SHOW CREATE"):
        text += "\n" + format_rows(result.columns, result.rows)
    return text
