"""What the side panels show, read where the CLI reads it: the catalog (tables, models and
connections, secrets masked), statements as `statement list` refreshes them, a topic's
latest records decoded with their schemas."""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.schema_registry.error import SchemaRegistryError

from common.registry import registry_client
from emulator.catalog import Catalog, StatementRecord, TableEntry
from emulator.config import Settings
from emulator.dialect.secrets import mask, mask_options
from emulator.flink.rest import FlinkRest
from emulator.kafka.offsets import EndOffsets
from emulator.sql import statements
from emulator.sql.result import cell
from emulator.tables import key_schema
from emulator.topic_reader import AvroTopicReader

# A topic's latest records: how many at most, and how long reading them may take.
MESSAGES_MAX = 100
MESSAGES_SECONDS = 3.0


def jsonable(value: Any) -> Any:
    """A decoded value for JSON: numbers, text, lists and maps kept; anything else as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return cell(value)


def _versions(registry: Any, subject: str) -> list[int] | str:
    """The subject's versions; the registry's refusal as text when it has none to give."""
    try:
        return list(registry.get_versions(subject))
    except SchemaRegistryError as error:
        return [] if error.http_status_code == 404 else str(error)
    except OSError as error:
        return f"registry unreachable: {error}"


def _table(table: TableEntry, registry: Any) -> dict[str, Any]:
    subjects = [f"{table.name}-value"]
    if key_schema(table) is not None or table.key_reader_schema is not None:
        subjects.insert(0, f"{table.name}-key")
    return {
        "name": table.name,
        "topic": table.name,
        "partitions": table.partitions,
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "nullable": c.nullable,
                "key": c.name in table.key_columns,
            }
            for c in table.columns
        ],
        "watermark": list(table.watermark) if table.watermark else None,
        "primary_key": table.primary_key,
        "subjects": [{"subject": s, "versions": _versions(registry, s)} for s in subjects],
    }


def tables(settings: Settings) -> list[dict[str, Any]]:
    catalog = Catalog.for_state(settings.state_dir)
    registry = registry_client(settings.schema_registry_url, auth=settings.registry_auth)
    return [_table(catalog.tables[name], registry) for name in sorted(catalog.tables)]


def _running_jobs(catalog: Catalog) -> list[StatementRecord]:
    return [e for e in catalog.statements.values() if e.status == "RUNNING" and e.job_id]


def _model_calls(settings: Settings, catalog: Catalog) -> dict[str, dict[str, float]]:
    """Each model's endpoint calls summed over the running statements that score with it,
    with their mean round trip."""
    rest = FlinkRest(settings.flink_rest_url)
    calls: dict[str, dict[str, float]] = {}
    for entry in _running_jobs(catalog):
        if "ML_PREDICT" not in entry.sql.upper():
            continue
        with contextlib.suppress(OSError):
            for model, counters in statements.model_calls(rest, str(entry.job_id)).items():
                total = calls.setdefault(model, {})
                for name, value in counters.items():
                    total[name] = total.get(name, 0.0) + value
    for total in calls.values():
        mean = statements.mean_latency_ms(total)
        if mean is not None:
            total["latency_ms_mean"] = mean
    return calls


def models(settings: Settings) -> list[dict[str, Any]]:
    """Models with their versions and options (secrets masked), and their endpoint's calls."""
    catalog = Catalog.for_state(settings.state_dir)
    calls = _model_calls(settings, catalog)
    return [
        {
            "name": model.name,
            "default_version": model.default_version,
            "versions": [
                {
                    "version": version.version,
                    "inputs": [f"{c.name} {c.type}" for c in version.inputs],
                    "outputs": [f"{c.name} {c.type}" for c in version.outputs],
                    "options": mask_options(version.options),
                    "comment": version.comment,
                }
                for version in model.versions
            ],
            "calls": calls.get(model.name, {}),
        }
        for model in sorted(catalog.models.values(), key=lambda m: m.name)
    ]


def connections(settings: Settings) -> list[dict[str, Any]]:
    catalog = Catalog.for_state(settings.state_dir)
    return [
        {**asdict(connection), "api_key": mask(connection.api_key)}
        for connection in sorted(catalog.connections.values(), key=lambda c: c.name)
    ]


def _statement(entry: StatementRecord) -> dict[str, Any]:
    fields = asdict(entry)
    del fields["options"], fields["restore_point"]
    return fields


def _throughput(rest: FlinkRest, entry: StatementRecord) -> dict[str, float]:
    if entry.status != "RUNNING" or entry.job_id is None:
        return {}
    try:
        return rest.throughput(entry.job_id)
    except (OSError, ValueError, KeyError):  # the job went away between two requests
        return {}


def statement_list(settings: Settings) -> list[dict[str, Any]]:
    """Statements newest first, live ones' status from their Flink jobs, running ones with
    what they read and write."""
    catalog = Catalog.for_state(settings.state_dir)
    rest = FlinkRest(settings.flink_rest_url)
    entries = statements.refresh(catalog, rest)
    return [
        {**_statement(entry), "throughput": _throughput(rest, entry)} for entry in reversed(entries)
    ]


def statement_detail(settings: Settings, name: str) -> dict[str, Any]:
    """One statement with its job's failures, newest first (`statement exception list`)."""
    catalog = Catalog.for_state(settings.state_dir)
    rest = FlinkRest(settings.flink_rest_url)
    statements.refresh(catalog, rest)
    entry = statements.get(catalog, name)
    try:
        failures = [asdict(failure) for failure in statements.exceptions(catalog, rest, name)]
    except OSError as error:
        failures = [{"message": f"Flink unreachable: {error}"}]
    return {**_statement(entry), "exceptions": failures}


def stop_statement(settings: Settings, name: str) -> dict[str, Any]:
    catalog = Catalog.for_state(settings.state_dir)
    rest = FlinkRest(settings.flink_rest_url)
    statements.refresh(catalog, rest)
    return _statement(statements.stop(catalog, rest, settings, name))


def delete_statement(settings: Settings, name: str) -> None:
    catalog = Catalog.for_state(settings.state_dir)
    statements.delete(catalog, FlinkRest(settings.flink_rest_url), name)


def latest_messages(settings: Settings, topic: str, count: int) -> list[dict[str, Any]]:
    """Up to `count` of the topic's latest committed records, decoded, newest last."""
    count = max(1, min(count, MESSAGES_MAX))
    try:
        ends = EndOffsets(settings.bootstrap_servers, security=settings.kafka_security)
        partitions = ends.partitions([topic]).get(topic, {})
    except KafkaException as error:
        raise OSError(f"Kafka unreachable: {error}") from None
    starts = {partition: max(0, end - count) for partition, end in partitions.items()}
    reader = AvroTopicReader.of(settings, topic, start_offsets=starts)
    records = []
    deadline = time.monotonic() + MESSAGES_SECONDS
    try:
        while time.monotonic() < deadline and not _read_to(records, partitions):
            records.extend(reader.poll(timeout_ms=300))
    finally:
        reader.close()
    records.sort(key=lambda r: (r.timestamp_ms, r.partition, r.offset))
    return [
        {
            "partition": r.partition,
            "offset": r.offset,
            "timestamp_ms": r.timestamp_ms,
            "key": jsonable(r.key),
            "value": jsonable(r.value),
        }
        for r in records[-count:]
    ]


def _read_to(records: list[Any], ends: dict[int, int]) -> bool:
    """Whether every partition was read to the end it had (transaction markers aside)."""
    last: dict[int, int] = {}
    for record in records:
        last[record.partition] = max(last.get(record.partition, -1), record.offset)
    return all(last.get(p, -1) >= end - 2 for p, end in ends.items() if end > 0)
