"""The model server's HTTP API fuzzed from the OpenAPI document it serves (GET /swagger.json).

schemathesis generates valid and invalid requests for every operation of the Swagger 2 and the
OpenAPI 3 document, sent to the Flask app in process with a valid key, so that they reach the
scoring script. The only 5xx azmlinfsrv sends for a request is 500 when the script's run()
fails, with `x-ms-run-function-failed: True` and its fixed message; any other 5xx (our 500 for
an unhandled error included) is a bug. After the fuzzing, the same app still scores a row.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from schemathesis import Case, Response

from model_server.__main__ import DEFAULT_ENTRY_SCRIPT
from model_server.server.app import create_app
from model_server.server.container import RUN_FAILED
from model_server.train import train_frame
from tests.fuzzing import fuzz_operation
from tests.unit.test_model_server import _body, _row, _training_frame

KEY = "fuzz-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
EXAMPLES = 50  # per operation and generation mode


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    model_dir = tmp_path_factory.mktemp("fuzz-model")
    train_frame(_training_frame(), model_dir, max_iter=30)
    return create_app(DEFAULT_ENTRY_SCRIPT, model_dir, [KEY])


def _answers_as_azmlinfsrv(case: Case, response: Response) -> None:
    where = f"{case.method} {case.formatted_path}"
    assert response.headers.get("content-type", [""])[0].startswith(
        ("application/json", "text/html")
    ), where
    if response.status_code >= 500:
        assert response.status_code == 500, where
        assert response.json() == {"message": RUN_FAILED}, where
        assert response.headers["x-ms-run-function-failed"] == ["True"], where
    elif response.status_code >= 400:
        message = response.json()["message"]
        assert isinstance(message, str) and message, where


@pytest.mark.parametrize("version", ["2", "3"])
def test_every_operation_answers_as_azmlinfsrv(app: Flask, version: str) -> None:
    schema = schemathesis.openapi.from_wsgi(f"/swagger.json?version={version}", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.upper(), op.path) for op in operations} == {("GET", "/"), ("POST", "/score")}
    for operation in operations:
        sent = fuzz_operation(
            operation, EXAMPLES, lambda case: case.call(headers=AUTH), _answers_as_azmlinfsrv
        )
        assert sent["positive"] > 0, operation.label
        if operation.path == "/score":
            assert sent["negative"] > 0
    client = app.test_client()
    assert client.get("/").text == "Healthy"
    scored = client.post("/score", json=_body([_row(400.0, "C")]), headers=AUTH)
    assert scored.status_code == 200 and len(scored.get_json()) == 2
