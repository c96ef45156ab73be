"""The Schema Registry's REST API fuzzed from the OpenAPI document kept beside it.

The registry serves no OpenAPI document (Confluent's does not either), so
`emulator/schema_registry/openapi.json` describes its routes, and the first test holds it to
the app's own URL map. schemathesis then sends valid and invalid requests to every operation of
one registry, in process over an in-memory log (a Kafka topic in the running service). With the
log in memory no store error can happen, so no answer may be a 5xx; every error must come in
Confluent's shape: its content type, an integer `error_code` and a message.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from schemathesis import Case, Response
from schemathesis.schemas import APIOperation

from emulator.schema_registry import app as registry_app
from emulator.schema_registry.app import CONTENT_TYPE, create_app
from emulator.schema_registry.store import MemoryLog, SchemaStore
from tests.fuzzing import fuzz_operation

DOCUMENT: dict[str, Any] = json.loads(
    Path(registry_app.__file__).with_name("openapi.json").read_text()
)
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)
OPERATIONS: list[APIOperation] = [result.ok() for result in SCHEMA.get_all_operations()]
EXAMPLES = 25  # per operation and generation mode
# Each body field is also sent with each wrong JSON type ("schema": 1, "schemaType": true,
# "compatibility": null...): generated requests reach them or not depending on what schemathesis
# generated before in the same process. Confluent refuses them with 422 (once a 500 here).
WRONG_TYPES: list[Any] = [1, True, None, [], {}]
PATH_EXAMPLES = {"subject": "orders-value", "version": "latest", "schema_id": 1}


def _routes(app: Flask) -> set[tuple[str, str]]:
    """(METHOD, path) for each route, `<int:name>` written `{name}` as OpenAPI writes it."""
    return {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


@pytest.fixture(scope="module")
def app() -> Flask:
    """One registry for every operation's requests, holding one subject to start with."""
    app = create_app(SchemaStore(MemoryLog()))
    body = DOCUMENT["components"]["requestBodies"]["Schema"]["content"][CONTENT_TYPE]["example"]
    assert app.test_client().post("/subjects/orders-value/versions", json=body).status_code == 200
    return app


def test_the_document_names_every_route_of_the_app() -> None:
    documented = {(op.method.upper(), op.path) for op in OPERATIONS}
    assert documented == _routes(create_app(SchemaStore(MemoryLog())))


def _answers_as_confluent(case: Case, response: Response) -> None:
    where = f"{case.method} {case.formatted_path} {case.body!r:.200}"
    assert response.status_code < 500, (where, response.text[:300])
    assert response.headers["content-type"] == [CONTENT_TYPE], where
    answer = response.json()
    if response.status_code >= 400:
        assert isinstance(answer["error_code"], int), where
        assert isinstance(answer["message"], str) and answer["message"], where


def _wrong_field_types(operation: APIOperation) -> list[Case]:
    """The operation's body with each field, in turn, of each wrong JSON type."""
    if not operation.body:
        return []
    body = operation.body[0]
    fields = body.definition["schema"]["properties"]
    path = {p.name: PATH_EXAMPLES[p.name] for p in operation.path_parameters.items}
    return [
        operation.Case(
            path_parameters=path, body={"schema": "{}", **{name: wrong}}, media_type=CONTENT_TYPE
        )
        for name in fields
        for wrong in WRONG_TYPES
    ]


def _label(operation: APIOperation) -> str:
    return f"{operation.method.upper()} {operation.path}"


@pytest.mark.parametrize("operation", OPERATIONS, ids=_label)
def test_every_operation_answers_as_confluent(app: Flask, operation: APIOperation) -> None:
    for case in _wrong_field_types(operation):
        response = case.call(app=app)
        _answers_as_confluent(case, response)
        assert response.status_code == 422, (case.body, response.text)
    sent = fuzz_operation(
        operation, EXAMPLES, lambda case: case.call(app=app), _answers_as_confluent
    )
    assert sent["positive"] > 0
