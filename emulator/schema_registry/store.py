"""Subjects, versions and schema ids, kept like Confluent's registry keeps them.

State lives in memory and every change is first appended to a log (a compacted Kafka topic in
the running service, a list in unit tests). Replaying the log at start rebuilds the same
subjects, versions and ids, which is what makes ids stable across restarts.

Changes are made one at a time (the write lock) and the append happens outside the state's
lock, so a broker that does not answer holds up other changes but never a read. Ids only grow:
before a permanent delete lets compaction remove schema records, the highest id issued is
written under a key of its own that is never deleted, and replay resumes after it.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import fastavro

from emulator.schema_registry import compatibility as compat

DEFAULT_COMPATIBILITY = "BACKWARD"
COMPATIBILITY_LEVELS = set(compat.LEVELS)


class RegistryError(Exception):
    """An error the REST layer answers with Confluent's `error_code` and HTTP status."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


class SchemaLogError(Exception):
    """An append the log could not make durable: the broker refused it or cannot be reached."""


class SchemaLogTimeout(SchemaLogError):
    """An append the log did not confirm in time (Confluent's 50002, "operation timed out")."""


def subject_not_found(subject: str) -> RegistryError:
    return RegistryError(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(subject: str, version: Any) -> RegistryError:
    return RegistryError(404, 40402, f"Version {version} not found for subject '{subject}'.")


def schema_not_found(detail: str = "Schema not found") -> RegistryError:
    return RegistryError(404, 40403, detail)


@dataclass
class SchemaVersion:
    subject: str
    version: int
    schema_id: int
    schema: str
    deleted: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "version": self.version,
            "id": self.schema_id,
            "schema": self.schema,
        }


class SchemaLog(Protocol):
    """Durable, ordered record of registry changes (key and value are JSON objects).

    `append` returns once the record is durable, or raises SchemaLogError (SchemaLogTimeout
    when it could not tell in time).
    """

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None: ...

    def replay(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]: ...


class MemoryLog:
    """A SchemaLog in a list: for unit tests and for one-off in-process registries."""

    def __init__(self) -> None:
        self.records: list[tuple[dict[str, Any], dict[str, Any] | None]] = []

    def append(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        self.records.append((key, value))

    def replay(self) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
        return list(self.records)


def canonical_avro(schema_text: str) -> str:
    """Validate an Avro schema and give the text that identity is decided on.

    Confluent compares schemas after parsing, so whitespace differences give the same id; field
    order and names still matter.
    """
    try:
        parsed = json.loads(schema_text)
    except json.JSONDecodeError as error:
        raise RegistryError(422, 42201, f"Invalid schema: not JSON ({error})") from error
    try:
        fastavro.parse_schema(parsed, _write_hint=False)
    except Exception as error:
        raise RegistryError(422, 42201, f"Invalid schema: {error}") from error
    return json.dumps(parsed, separators=(",", ":"))


# Confluent's own key types are SCHEMA, CONFIG, MODE, NOOP...; this one is ours. Its record is
# rewritten, never tombstoned, so compaction always keeps the latest.
ID_COUNTER_KEY: dict[str, Any] = {"keytype": "ID_COUNTER", "magic": 0}


class SchemaStore:
    def __init__(self, log: SchemaLog) -> None:
        self._log = log
        # Guards the state below; held only to read or apply, never while the log appends.
        self._lock = threading.RLock()
        # One change at a time, decided on the current state, appended, then applied: the log's
        # order is the order changes were applied in.
        self._write_lock = threading.Lock()
        self._max_id = 0  # the highest schema id ever issued
        self._subjects: dict[str, list[SchemaVersion]] = {}
        self._by_id: dict[int, str] = {}
        self._id_by_schema: dict[str, int] = {}
        self._config: dict[str | None, str] = {}
        for key, value in log.replay():
            self._apply(key, value)

    # --- the log ------------------------------------------------------------------------------

    def _apply(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        if key.get("keytype") == "SCHEMA" and value is not None:
            entry = SchemaVersion(
                subject=value["subject"],
                version=value["version"],
                schema_id=value["id"],
                schema=value["schema"],
                deleted=value.get("deleted", False),
            )
            versions = self._subjects.setdefault(entry.subject, [])
            versions[:] = [v for v in versions if v.version != entry.version] + [entry]
            versions.sort(key=lambda v: v.version)
            self._by_id[entry.schema_id] = entry.schema
            self._id_by_schema[entry.schema] = entry.schema_id
            self._max_id = max(self._max_id, entry.schema_id)
        elif key.get("keytype") == "SCHEMA" and value is None:
            versions = self._subjects.get(key["subject"], [])
            versions[:] = [v for v in versions if v.version != key["version"]]
            if not versions:
                self._subjects.pop(key["subject"], None)
        elif key.get("keytype") == ID_COUNTER_KEY["keytype"] and value is not None:
            self._max_id = max(self._max_id, value["maxId"])
        elif key.get("keytype") == "CONFIG":
            subject = key.get("subject")
            if value is None:
                self._config.pop(subject, None)
            else:
                self._config[subject] = value["compatibilityLevel"]

    def _record(self, key: dict[str, Any], value: dict[str, Any] | None) -> None:
        """Append, then apply; the caller holds the write lock and not the state's lock."""
        try:
            self._log.append(key, value)
        except SchemaLogTimeout as error:
            raise RegistryError(500, 50002, f"Operation timed out: {error}") from error
        except SchemaLogError as error:
            raise RegistryError(500, 50001, f"Error in the backend data store: {error}") from error
        with self._lock:
            self._apply(key, value)

    @staticmethod
    def _schema_key(subject: str, version: int) -> dict[str, Any]:
        return {"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}

    def _write_version(self, entry: SchemaVersion) -> None:
        value = {**entry.as_json(), "deleted": entry.deleted}
        self._record(self._schema_key(entry.subject, entry.version), value)

    # --- queries ------------------------------------------------------------------------------

    def _live(self, subject: str, include_deleted: bool = False) -> list[SchemaVersion]:
        versions = [v for v in self._subjects.get(subject, []) if include_deleted or not v.deleted]
        if not versions:
            raise subject_not_found(subject)
        return versions

    def subjects(self, include_deleted: bool = False) -> list[str]:
        with self._lock:
            return sorted(
                s
                for s, versions in self._subjects.items()
                if any(include_deleted or not v.deleted for v in versions)
            )

    def versions(self, subject: str, include_deleted: bool = False) -> list[int]:
        with self._lock:
            return [v.version for v in self._live(subject, include_deleted)]

    def get_version(self, subject: str, version: str | int) -> SchemaVersion:
        with self._lock:
            versions = self._live(subject)
            if version in ("latest", "-1", -1):
                return versions[-1]
            try:
                wanted = int(version)
            except ValueError as error:
                raise RegistryError(
                    422, 42202, f"The specified version '{version}' is not a valid version id."
                ) from error
            for entry in versions:
                if entry.version == wanted:
                    return entry
            raise version_not_found(subject, version)

    def schema_by_id(self, schema_id: int) -> str:
        with self._lock:
            if schema_id not in self._by_id:
                raise schema_not_found(f"Schema {schema_id} not found")
            return self._by_id[schema_id]

    def usages(self, schema_id: int) -> list[SchemaVersion]:
        with self._lock:
            self.schema_by_id(schema_id)
            return [
                v
                for versions in self._subjects.values()
                for v in versions
                if v.schema_id == schema_id and not v.deleted
            ]

    def lookup(self, subject: str, schema_text: str) -> SchemaVersion:
        canonical = canonical_avro(schema_text)
        with self._lock:
            for entry in self._live(subject):
                if entry.schema == canonical:
                    return entry
            raise schema_not_found()

    def compatibility(self, subject: str | None = None) -> str:
        with self._lock:
            if subject is not None and subject in self._config:
                return self._config[subject]
            return self._config.get(None, DEFAULT_COMPATIBILITY)

    def incompatibilities(
        self, subject: str, schema_text: str, version: str | int | None = None
    ) -> list[str]:
        """Why `schema_text` may not follow the subject's versions under its level ([] if it may).

        `version` checks against that one version (the level's direction, not its transitivity),
        as `POST /compatibility/subjects/<s>/versions/<v>` does; None checks as registering does.
        """
        canonical = canonical_avro(schema_text)
        with self._lock:
            level = self.compatibility(subject)
            if version is None:
                current = [v for v in self._subjects.get(subject, []) if not v.deleted]
            else:
                current = [self.get_version(subject, version)]
                level = level.removesuffix("_TRANSITIVE")
            earlier = [compat.EarlierVersion(v.version, v.schema) for v in current]
        try:
            return compat.check(canonical, earlier, level)
        except compat.SchemaParseError as error:
            raise RegistryError(422, 42201, f"Invalid schema: {error}") from error

    # --- changes ------------------------------------------------------------------------------

    def register(self, subject: str, schema_text: str) -> int:
        """Register under `subject`; an identical schema keeps its version and its global id.

        A new schema must be compatible with the subject's live versions under the subject's
        compatibility level (BACKWARD unless configured), or it is refused with 409.
        """
        canonical = canonical_avro(schema_text)
        known = self._registered_id(subject, canonical)  # no wait when it is already there
        if known is not None:
            return known
        with self._write_lock:
            with self._lock:
                known = self._registered_id(subject, canonical)
                if known is not None:
                    return known
                messages = self.incompatibilities(subject, canonical)
                if messages:
                    raise RegistryError(
                        409,
                        409,
                        "Schema being registered is incompatible with an earlier schema for "
                        f'subject "{subject}", details: [{", ".join(messages)}]',
                    )
                schema_id = self._id_by_schema.get(canonical)
                if schema_id is None:
                    # Taken even if the append fails: a timed-out record may still land.
                    self._max_id += 1
                    schema_id = self._max_id
                every = self._subjects.get(subject, [])
                version = max((v.version for v in every), default=0) + 1
            self._write_version(SchemaVersion(subject, version, schema_id, canonical))
            return schema_id

    def _registered_id(self, subject: str, canonical: str) -> int | None:
        with self._lock:
            for entry in self._subjects.get(subject, []):
                if entry.schema == canonical and not entry.deleted:
                    return entry.schema_id
            return None

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        with self._write_lock:
            if permanent:
                with self._lock:
                    versions = self._live(subject, include_deleted=True)
                    highest = self._max_id
                if any(not v.deleted for v in versions):
                    raise RegistryError(
                        404,
                        40405,
                        f"Subject '{subject}' was not deleted first before being "
                        "permanently deleted",
                    )
                # Before compaction may drop these records' ids: replay resumes after this one.
                self._record(ID_COUNTER_KEY, {"maxId": highest})
                for entry in versions:
                    self._record(self._schema_key(subject, entry.version), None)
                return [v.version for v in versions]
            with self._lock:
                versions = self._live(subject)
            for entry in versions:
                entry_deleted = SchemaVersion(
                    entry.subject, entry.version, entry.schema_id, entry.schema, deleted=True
                )
                self._write_version(entry_deleted)
            return [v.version for v in versions]

    def set_compatibility(self, level: str, subject: str | None = None) -> str:
        level = level.upper()
        if level not in COMPATIBILITY_LEVELS:
            raise RegistryError(
                422, 42203, f"Invalid compatibility level. Valid values are {COMPATIBILITY_LEVELS}"
            )
        with self._write_lock:
            self._record(
                {"keytype": "CONFIG", "subject": subject, "magic": 0},
                {"compatibilityLevel": level},
            )
        return level
