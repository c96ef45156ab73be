"""What the local Confluent environment knows: tables, models with versions, connections.

Kept as one JSON file in the state folder (mode 0600: connections and models hold API keys),
so a later `ccflink sql` sees the tables and models an earlier run created, as a Confluent
workspace does.

Several `ccflink` processes share the file (the shell or `up --demo` for hours, `ccflink sql`
and `statement stop` beside them), each holding the copy it loaded. A save therefore writes
only what this process changed since it last read or wrote the file: under an exclusive lock
on `catalog.json.lock`, it reads the file again, lays its own additions, changes and
deletions over it, entry by entry, writes a temporary file and renames it over the old one
(readers never see half a file), and takes the result as its new copy.
"""

from __future__ import annotations

import copy
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common.errors import CcflinkError
from emulator.dialect.secrets import mask_secrets
from emulator.dialect.statements import ColumnDef

DEFAULT_PARTITIONS = 6


class CatalogError(CcflinkError):
    """A table, model, version, connection or statement the catalog does not have."""


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

    def __post_init__(self) -> None:
        """The statement store never holds a secret: a key written in the statement (CREATE
        MODEL, CREATE CONNECTION) lives only in the model or connection it made."""
        self.sql = mask_secrets(self.sql)
        self.detail = None if self.detail is None else mask_secrets(self.detail)


def _columns(raw: list[dict[str, Any]]) -> list[ColumnDef]:
    return [ColumnDef(**c) for c in raw]


def _table(raw: dict[str, Any]) -> TableEntry:
    raw = {**raw, "columns": _columns(raw["columns"])}
    if raw.get("watermark"):
        raw["watermark"] = tuple(raw["watermark"])
    return TableEntry(**raw)


def _model(raw: dict[str, Any]) -> Model:
    versions = [
        ModelVersion(**{**v, "inputs": _columns(v["inputs"]), "outputs": _columns(v["outputs"])})
        for v in raw["versions"]
    ]
    return Model(raw["name"], versions, raw["default_version"])


def _connection(raw: dict[str, Any]) -> Connection:
    return Connection(**raw)


def _statement(raw: dict[str, Any]) -> StatementRecord:
    return StatementRecord(**raw)


# The catalog's kinds of entry, as the file's keys and the attributes of `Catalog`, each with
# the function that builds an entry back from its JSON.
KINDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "tables": _table,
    "models": _model,
    "connections": _connection,
    "statements": _statement,
}

# Per kind, the JSON of each entry by name: what the file holds, or held when last read.
Snapshot = dict[str, dict[str, dict[str, Any]]]


def _as_json(entry: Any) -> dict[str, Any]:
    """An entry as the file holds it (tuples as lists), to tell whether it changed."""
    return json.loads(json.dumps(asdict(entry)))


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.tables: dict[str, TableEntry] = {}
        self.models: dict[str, Model] = {}
        self.connections: dict[str, Connection] = {}
        self.statements: dict[str, StatementRecord] = {}
        self._known: Snapshot = {kind: {} for kind in KINDS}
        self._adopt(self._read())

    @classmethod
    def for_state(cls, state_dir: Path) -> Catalog:
        return cls(state_dir / "catalog.json")

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def _read(self) -> Snapshot:
        if not self.path.exists():
            return {kind: {} for kind in KINDS}
        try:
            data = json.loads(self.path.read_text())
        except json.JSONDecodeError as error:
            raise CatalogError(
                f"{self.path} is not valid JSON (line {error.lineno}, column {error.colno}: "
                f"{error.msg}); fix or remove it"
            ) from None
        return {kind: {raw["name"]: raw for raw in data.get(kind, [])} for kind in KINDS}

    def _adopt(self, snapshot: Snapshot) -> None:
        """Take the file's entries as this copy; objects already held are updated in place,
        so a caller holding an entry keeps seeing (and changing) the catalog's."""
        for kind, build in KINDS.items():
            entries = getattr(self, kind)
            for name in entries.keys() - snapshot[kind].keys():
                del entries[name]
            for name, raw in snapshot[kind].items():
                held = entries.get(name)
                if held is not None and _as_json(held) == raw:
                    continue
                fresh = build(copy.deepcopy(raw))  # never shares a dict with _known
                if held is None:
                    entries[name] = fresh
                else:
                    vars(held).update(vars(fresh))
        self._known = snapshot

    def _merged(self, on_disk: Snapshot) -> Snapshot:
        """The file as it is now, with this process's additions, changes and deletions."""
        merged: Snapshot = {}
        for kind in KINDS:
            ours = {name: _as_json(entry) for name, entry in getattr(self, kind).items()}
            known = self._known[kind]
            result = dict(on_disk[kind])
            for name, raw in ours.items():
                if known.get(name) != raw:
                    result[name] = raw
            for name in known.keys() - ours.keys():
                result.pop(name, None)
            merged[kind] = result
        return merged

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the catalog's lock: one writer at a time across processes."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def refresh(self) -> dict[str, set[str]]:
        """Take in what other processes wrote since this copy last read or wrote the file,
        keeping this process's unsaved changes; per kind, the names others changed."""
        with self._locked():
            on_disk = self._read()
        changed = {
            kind: {
                name
                for name in on_disk[kind].keys() | self._known[kind].keys()
                if on_disk[kind].get(name) != self._known[kind].get(name)
            }
            for kind in KINDS
        }
        if any(changed.values()):
            self._adopt(self._merged(on_disk))
            self._known = on_disk  # what the file holds: unsaved changes here stay ours
        return changed

    def save(self) -> None:
        """Write this process's changes over the file as it is now; take in everyone else's."""
        with self._locked():
            merged = self._merged(self._read())
            temporary = self.path.with_suffix(".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump({kind: list(merged[kind].values()) for kind in KINDS}, handle, indent=2)
            temporary.replace(self.path)
        self._adopt(merged)
