"""What a session's executors share: the services, the catalog and the session's options."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.catalog import Catalog, ModelVersion, TableEntry
from emulator.config import Settings
from emulator.sql.environment import FlinkEnvironment
from emulator.sql.query import SCRIPT_SELECT_LIMITS, SelectLimits


@dataclass
class Context:
    settings: Settings
    catalog: Catalog
    flink: FlinkEnvironment
    say: Callable[[str], None]  # warnings and notes for the user, as they happen
    ml_batch_size: int = 1  # rows per ML_PREDICT request (the local batching extension)
    next_name: str | None = None  # SET 'client.statement-name' for the next statement
    # SET 'sql.tables.scan.*': scan options for the tables of statements from now on.
    scan_overrides: dict[str, str] = field(default_factory=dict)
    select_limits: SelectLimits = SCRIPT_SELECT_LIMITS  # how a SELECT in a script is read
    parallelism: int = 1  # the current statement's; its ML_PREDICT calls may raise it
    # ML_PREDICT functions registered in Flink, by function name, for error messages.
    predict_functions: dict[str, ModelVersion] = field(default_factory=dict)
    # The session's SET options, kept with each statement so it can be submitted again.
    options: dict[str, str] = field(default_factory=dict)
    # A statement resumed or recovered: its tables exist, its job starts from `restore_from`
    # (a savepoint or checkpoint), or from the beginning of its input when that is None.
    resuming: bool = False
    restore_from: str | None = None

    def define(self, table: TableEntry, *, replace: bool = False) -> None:
        """Declare a catalog table to Flink with this session's scan options."""
        self.flink.define(table, self.scan_overrides, replace=replace)

    def submit(self, name: str, sql: str, targets: list[str]) -> str:
        """Submit a statement's job writing `targets`, from `restore_from` if set; its job id.

        The target tables are declared again first, their Kafka transactions named after the
        statement and the table (`<statement>-<table>`), so its exactly-once sinks never fence
        another statement's, nor each other in a statement set.
        """
        for target in targets:
            if target in self.catalog.tables:
                self.flink.define(
                    self.catalog.tables[target],
                    self.scan_overrides,
                    replace=True,
                    writer=f"{name}-{target}",
                )
        return self.flink.submit(name, sql, self.parallelism, restore_from=self.restore_from)
