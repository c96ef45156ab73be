"""Chained commits on the real stack: a statement reading another's exactly-once output
commits right after it, not at its own next periodic checkpoint (the supervisor triggers it).

The reading statement checkpoints every 10 minutes on its own; the statement it reads every
2 s. Its output still reaches a read-committed reader within the test's wait, every row once.
With CCFLINK_CHAINED_COMMITS=off the same test fails: the rows wait for the 10 minutes.
"""

from __future__ import annotations

import pytest

from emulator.config import Settings
from emulator.sql.session import Session
from tests.integration.conftest import read_until

pytestmark = pytest.mark.integration

ROWS = 20


def test_a_statement_reading_anothers_output_commits_right_after_it(
    local_stack: Settings,
) -> None:
    session = Session(local_stack, say=lambda message: None)
    values = ", ".join(f"({number}, 'row-{number}')" for number in range(ROWS))
    session.execute_script(
        f"""
        CREATE TABLE chain_source (id INT, label STRING);
        SET 'execution.checkpointing.interval' = '2 s';
        SET 'client.statement-name' = 'chain-writer';
        CREATE TABLE chain_middle AS SELECT id, label FROM chain_source;
        INSERT INTO chain_source VALUES {values};
        SET 'execution.checkpointing.interval' = '10 min';
        SET 'client.statement-name' = 'chain-reader';
        CREATE TABLE chain_end AS SELECT id, UPPER(label) AS label FROM chain_middle;
        """
    )
    records = read_until(local_stack, "chain_end", lambda r: len(r) >= ROWS, timeout=120)
    assert sorted(record.value["id"] for record in records) == list(range(ROWS))
    assert {record.value["label"] for record in records} == {f"ROW-{n}" for n in range(ROWS)}
