"""RELIABILITY.md's table, from the drills' counts (the text around it is written by hand)."""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks import report
from tests.faults.drills import CHECKPOINT_NOTE, DrillResult

REPORT_ENV = "CCFLINK_RELIABILITY_REPORT"
SECTION = "fault-drills"
COMMAND = "make reliability"


def report_target() -> Path | None:
    """Where to write the table: the file $CCFLINK_RELIABILITY_REPORT names, if set."""
    value = os.environ.get(REPORT_ENV)
    return Path(value) if value else None


def write_report(target: Path, results: list[DrillResult]) -> None:
    rows = [
        (
            r.drill,
            f"{r.records_in:,}",
            f"{r.records_out:,}",
            r.lost,
            r.duplicated,
            "-" if r.recovery_seconds is None else f"{r.recovery_seconds:.0f} s",
            f"{r.seconds:.0f} s",
        )
        for r in results
    ]
    columns = ["drill", "records in", "out", "lost", "duplicated", "time to recover", "drill took"]
    body = "\n".join(
        [
            report.header("### Latest run", COMMAND, report.machine(["apache-flink"])),
            CHECKPOINT_NOTE,
            "",
            report.table(columns, rows),
        ]
    )
    report.write_section(SECTION, body, target)
