"""What the local Confluent environment knows: tables, models with versions, connections.

Kept as one JSON file in the state folder (mode 0600: connections and models hold API keys),
so a later `ccflink sql` sees the tables and models an earlier run created, as a Confluent
workspace does.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common.errors import CcflinkError
from emulator.dialect.statements import ColumnDef

DEFAULT_PARTITIONS = 6


class CatalogError(CcflinkError):
    """A table, model, version, connection or statement the catalog does not have."""


def mask(secret: str) -> str:
    """Confluent shows secrets redacted; keep the last 4 characters to tell keys apart."""
    return "*****" + secret[-4:] if len(secret) > 8 else "*****"


@dataclass
class TableEntry:
    name: str
    columns: list[ColumnDef]
    key_columns: list[str] = field(default_factory=list)
    partitions: int = DEFAULT_PARTITIONS
    watermark: tuple[str, str] | None = None
    options: dict[str, str] = field(default_factory=dict)
    primary_key: list[str] = field(default_factory=list)
    # Inferred tables: the producers' schemas as Flink reads them (enums, nested records and
    # names kept); None when the schemas are derived from the columns (tables created here).
    key_reader_schema: dict[str, Any] | None = None
    value_reader_schema: dict[str, Any] | None = None

    @property
    def changelog_mode(self) -> str:
        """Confluent's default: upsert with a primary key, append without."""
        default = "upsert" if self.primary_key else "append"
        return self.options.get("changelog.mode", default).lower()

    @property
    def key_format(self) -> str:
        """Confluent's default `avro-registry`; `raw` keeps the key's bytes, with no schema."""
        return self.options.get("key.format", "avro-registry").lower()

    @property
    def physical_columns(self) -> list[ColumnDef]:
        """Columns stored in the record; metadata and computed columns are not."""
        return [c for c in self.columns if c.physical]

    @property
    def value_columns(self) -> list[ColumnDef]:
        if self.options.get("value.fields-include", "except-key").lower() == "all":
            return self.physical_columns
        return [c for c in self.physical_columns if c.name not in self.key_columns]


@dataclass
class ModelVersion:
    name: str
    version: int
    inputs: list[ColumnDef]
    outputs: list[ColumnDef]
    options: dict[str, str]
    comment: str | None = None


@dataclass
class Model:
    name: str
    versions: list[ModelVersion] = field(default_factory=list)
    default_version: int = 1

    def get(self, version: str | int | None) -> ModelVersion:
        """The version named (the default one for None); CatalogError when there is none."""
        if version is not None and not str(version).strip().isdigit():
            raise CatalogError(f"model `{self.name}`: version {version!r} is not a number")
        wanted = self.default_version if version is None else int(version)
        for entry in self.versions:
            if entry.version == wanted:
                return entry
        raise CatalogError(f"model `{self.name}` has no version {wanted}")


@dataclass
class Connection:
    name: str
    type: str
    endpoint: str
    api_key: str
    cloud: str | None = None
    region: str | None = None


@dataclass
class StatementRecord:
    """A statement as Confluent lists it: a name, its SQL, and where it stands."""

    name: str
    sql: str
    status: str  # PENDING, RUNNING, DEGRADED, COMPLETED, FAILED, STOPPING, STOPPED
    created_at: str
    job_id: str | None = None
    detail: str | None = None
    # The session's SET options it was submitted with, to submit it again as it was.
    options: dict[str, str] = field(default_factory=dict)
    # The savepoint it continues from when resumed (taken by `statement stop` or `down`).
    restore_point: str | None = None


def _columns(raw: list[dict[str, Any]]) -> list[ColumnDef]:
    return [ColumnDef(**c) for c in raw]


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tables: dict[str, TableEntry] = {}
        self.models: dict[str, Model] = {}
        self.connections: dict[str, Connection] = {}
        self.statements: dict[str, StatementRecord] = {}
        if path.exists():
            self._load(json.loads(path.read_text()))

    @classmethod
    def for_state(cls, state_dir: Path) -> Catalog:
        return cls(state_dir / "catalog.json")

    def _load(self, data: dict[str, Any]) -> None:
        for raw in data.get("tables", []):
            raw = {**raw, "columns": _columns(raw["columns"])}
            if raw.get("watermark"):
                raw["watermark"] = tuple(raw["watermark"])
            self.tables[raw["name"]] = TableEntry(**raw)
        for raw in data.get("models", []):
            versions = [
                ModelVersion(
                    **{**v, "inputs": _columns(v["inputs"]), "outputs": _columns(v["outputs"])}
                )
                for v in raw["versions"]
            ]
            self.models[raw["name"]] = Model(raw["name"], versions, raw["default_version"])
        for raw in data.get("connections", []):
            self.connections[raw["name"]] = Connection(**raw)
        for raw in data.get("statements", []):
            self.statements[raw["name"]] = StatementRecord(**raw)

    def save(self) -> None:
        data = {
            "tables": [asdict(t) for t in self.tables.values()],
            "models": [asdict(m) for m in self.models.values()],
            "connections": [asdict(c) for c in self.connections.values()],
            "statements": [asdict(s) for s in self.statements.values()],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        temporary.replace(self.path)
