"""Both sides' SQL for one round: ccflink's unchanged join and features files, and the same
statements as a user of open-source Flink writes them (pipeline.sql), each round writing
tables of its own so the rounds never read each other's output."""

from __future__ import annotations

import re
from pathlib import Path

from emulator.config import Settings
from emulator.dialect.splitter import split_statements
from pyflink_jobs import PIPELINE_SQL_DIR

PLAIN_SQL = Path(__file__).with_name("pipeline.sql")
CCFLINK_FILES = ("02_join.sql", "03_features.sql")
OUTPUTS = ("transactions_enriched", "transactions_features")
# The TableEnvironment's options beyond Flink's defaults (no object reuse, for one): the
# guarantees ccflink's statements have (checkpoints every 5 s, so exactly-once sinks commit),
# and SELECT * without the `$rowtime` metadata column, as on Confluent.
PLAIN_OPTIONS = {
    "execution.checkpointing.interval": "5 s",
    "execution.checkpointing.mode": "EXACTLY_ONCE",
    "table.column-expansion-strategy": (
        "EXCLUDE_DEFAULT_VIRTUAL_METADATA_COLUMNS;EXCLUDE_ALIASED_VIRTUAL_METADATA_COLUMNS"
    ),
}
_OUTPUT = re.compile(r"\b(" + "|".join(OUTPUTS) + r")\b")


def ccflink_script(prefix: str) -> str:
    """02_join.sql and 03_features.sql as they are, their two tables named `<prefix><table>`."""
    text = "\n".join((PIPELINE_SQL_DIR / name).read_text() for name in CCFLINK_FILES)
    return _OUTPUT.sub(lambda match: prefix + match.group(0), text)


def plain_statements(bootstrap: str, registry: str, prefix: str) -> list[str]:
    """pipeline.sql's statements, in order, for this stack's broker and registry."""
    text = PLAIN_SQL.read_text().format(bootstrap=bootstrap, registry=registry, prefix=prefix)
    return [statement.text for statement in split_statements(text)]


def plain_for(settings: Settings, prefix: str) -> list[str]:
    return plain_statements(settings.bootstrap_servers, settings.schema_registry_url, prefix)
