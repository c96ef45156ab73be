"""Confluent Schema Registry's REST API (the subset clients use) over a SchemaStore.

Answers with Confluent's content type and `{"error_code": ..., "message": ...}` error bodies,
every error included (HTTP errors, a body over the size limit, bugs), because clients
(confluent-kafka, Flink's avro-confluent format) branch on `error_code`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from emulator import config
from emulator.schema_registry.bodies import CONFIG_BODY, SCHEMA_BODY, BodyField, read_body
from emulator.schema_registry.store import RegistryError, SchemaStore

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
# What Confluent's registry answers for an error it did not expect: 50001, as a store error.
INTERNAL_ERROR_CODE = 50001

log = logging.getLogger("schema_registry")


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type=CONTENT_TYPE)


def _body(fields: Mapping[str, BodyField]) -> dict[str, Any]:
    return read_body(request.get_json(force=True, silent=True), fields)


def _flag(name: str) -> bool:
    return request.args.get(name, "false").lower() == "true"


def _schema_text() -> str:
    body = _body(SCHEMA_BODY)
    schema_type = body.get("schemaType", "AVRO").upper()
    if schema_type != "AVRO":
        raise RegistryError(
            422, 42201, f"Invalid schema: schemaType {schema_type} is not supported here (AVRO)"
        )
    if body.get("references"):
        raise RegistryError(422, 42201, "Invalid schema: schema references are not supported")
    return body["schema"]


def _compatibility() -> str:
    return _body(CONFIG_BODY)["compatibility"]


def _compatibility_answer(messages: list[str]) -> Response:
    answer: dict[str, Any] = {"is_compatible": not messages}
    if _flag("verbose"):
        answer["messages"] = messages
    return _json(answer)


def create_app(
    store: SchemaStore, max_request_bytes: int = config.DEFAULT_REGISTRY_MAX_REQUEST_BYTES
) -> Flask:
    """The REST API over `store`; a body over `max_request_bytes` is refused before it is read."""
    app = Flask("schema_registry")
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes

    @app.errorhandler(RegistryError)
    def registry_error(error: RegistryError) -> Response:
        if error.status >= 500:
            log.error("%s %s: %s", request.method, request.path, error.message)
        return _json({"error_code": error.error_code, "message": error.message}, error.status)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error: RequestEntityTooLarge) -> Response:
        size = request.content_length
        message = (
            f"Request body of {size} bytes is over the limit of {max_request_bytes} bytes"
            if size is not None
            else f"Request body is over the limit of {max_request_bytes} bytes"
        )
        return _json({"error_code": 413, "message": message}, 413)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        return _json({"error_code": status, "message": f"HTTP {status} {error.name}"}, status)

    @app.errorhandler(Exception)
    def unexpected(_error: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.path)
        message = f"Internal error while serving {request.method} {request.path}"
        return _json({"error_code": INTERNAL_ERROR_CODE, "message": message}, 500)

    @app.get("/")
    def root() -> Response:
        return _json({})

    @app.get("/schemas/types")
    def schema_types() -> Response:
        return _json(["AVRO"])

    @app.get("/subjects")
    def subjects() -> Response:
        return _json(store.subjects(include_deleted=_flag("deleted")))

    @app.get("/subjects/<subject>/versions")
    def versions(subject: str) -> Response:
        return _json(store.versions(subject, include_deleted=_flag("deleted")))

    @app.post("/subjects/<subject>/versions")
    def register(subject: str) -> Response:
        return _json({"id": store.register(subject, _schema_text())})

    @app.post("/subjects/<subject>")
    def lookup(subject: str) -> Response:
        return _json(store.lookup(subject, _schema_text()).as_json())

    @app.get("/subjects/<subject>/versions/<version>")
    def get_version(subject: str, version: str) -> Response:
        return _json(store.get_version(subject, version).as_json())

    @app.get("/subjects/<subject>/versions/<version>/schema")
    def get_version_schema(subject: str, version: str) -> Response:
        return _json(json.loads(store.get_version(subject, version).schema))

    @app.delete("/subjects/<subject>")
    def delete_subject(subject: str) -> Response:
        return _json(store.delete_subject(subject, permanent=_flag("permanent")))

    @app.get("/schemas/ids/<int:schema_id>")
    def schema_by_id(schema_id: int) -> Response:
        return _json({"schema": store.schema_by_id(schema_id)})

    @app.get("/schemas/ids/<int:schema_id>/schema")
    def raw_schema_by_id(schema_id: int) -> Response:
        return _json(json.loads(store.schema_by_id(schema_id)))

    @app.get("/schemas/ids/<int:schema_id>/versions")
    def schema_usages(schema_id: int) -> Response:
        usages = store.usages(schema_id)
        return _json([{"subject": v.subject, "version": v.version} for v in usages])

    @app.get("/schemas/ids/<int:schema_id>/subjects")
    def schema_subjects(schema_id: int) -> Response:
        return _json(sorted({v.subject for v in store.usages(schema_id)}))

    @app.post("/compatibility/subjects/<subject>/versions/<version>")
    def test_compatibility(subject: str, version: str) -> Response:
        messages = store.incompatibilities(subject, _schema_text(), version)
        return _compatibility_answer(messages)

    @app.post("/compatibility/subjects/<subject>/versions")
    def test_compatibility_all(subject: str) -> Response:
        # Against the versions the subject's level names (none yet: compatible), as registering.
        return _compatibility_answer(store.incompatibilities(subject, _schema_text()))

    @app.get("/config")
    def get_global_config() -> Response:
        return _json({"compatibilityLevel": store.compatibility()})

    @app.put("/config")
    def put_global_config() -> Response:
        level = store.set_compatibility(_compatibility())
        return _json({"compatibility": level})

    @app.get("/config/<subject>")
    def get_subject_config(subject: str) -> Response:
        return _json({"compatibilityLevel": store.compatibility(subject)})

    @app.put("/config/<subject>")
    def put_subject_config(subject: str) -> Response:
        level = store.set_compatibility(_compatibility(), subject)
        return _json({"compatibility": level})

    return app
