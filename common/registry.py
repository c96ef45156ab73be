"""The registry calls ccflink makes, on confluent-kafka's own `SchemaRegistryClient`.

Confluent's client sends every request; what is left here is what its answers leave to each
caller: a refusal that names the subject (CREATE TABLE and the producers show it as it is), a
subject without versions as None instead of an error (tables inferred from topics), and a
subject deleted for good, which takes two requests (a soft delete, then the permanent one)
whose answers DROP TABLE does not wait on.
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient, SchemaRegistryError

from common.errors import CcflinkError

REQUEST_TIMEOUT_S = 10


class RegistryRefusal(CcflinkError):
    """The Schema Registry refused a request; the message names the subject and its answer."""


def registry_client(url: str, auth: tuple[str, str] | None = None) -> SchemaRegistryClient:
    """confluent-kafka's client for `url`; `auth` is (API key, secret) for basic auth.

    One attempt per call, within 10 s: a registry that is down fails the call at once.
    """
    config: dict[str, str | int] = {"url": url, "timeout": REQUEST_TIMEOUT_S, "max.retries": 0}
    if auth is not None:
        config["basic.auth.user.info"] = ":".join(auth)
    return SchemaRegistryClient(config)


def register(registry: SchemaRegistryClient, subject: str, schema: dict[str, Any]) -> int:
    """Register an Avro schema under `subject`; its id (the same one if already there)."""
    try:
        return registry.register_schema(subject, Schema(json.dumps(schema), "AVRO"))
    except SchemaRegistryError as error:
        raise RegistryRefusal(
            f"Schema Registry refused the schema for subject {subject!r}: "
            f"HTTP {error.http_status_code} {error.error_message}"
        ) from None


def latest_version(registry: SchemaRegistryClient, subject: str) -> dict[str, Any] | None:
    """The subject's latest version as the registry answers it (`schema`, `schemaType`, `id`,
    ...); None when the subject has none."""
    try:
        return registry.get_latest_version(subject).to_dict()
    except SchemaRegistryError as error:
        if error.http_status_code == 404:
            return None
        raise RegistryRefusal(
            f"Schema Registry: latest version of {subject!r}: "
            f"HTTP {error.http_status_code} {error.error_message}"
        ) from None


def delete_subject(registry: SchemaRegistryClient, subject: str) -> None:
    """Delete every version of `subject` for good, as far as the registry lets it.

    What the registry answers is not checked (nothing to delete, or a refusal): DROP TABLE has
    deleted the topic already and goes on to take the table out of the catalog.
    """
    for permanent in (False, True):
        with suppress(SchemaRegistryError):
            registry.delete_subject(subject, permanent=permanent)
