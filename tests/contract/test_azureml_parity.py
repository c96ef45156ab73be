"""Our model server answers like Microsoft's azureml-inference-server-http (azmlinfsrv 1.5.1).

Both serve the same scoring script and model; each case sends the same request to both and
compares status, body and the headers a client reads. Our server also checks the Bearer key
(Azure's front end does that, not azmlinfsrv), so every request carries one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from model_server.__main__ import DEFAULT_ENTRY_SCRIPT
from model_server.features import FEATURES
from model_server.train import train_frame
from tests.unit.test_model_server import _row, _training_frame

KEY = "parity-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
JSON_TYPE = {"Content-Type": "application/json"}
COMPARED_HEADERS = (
    "Content-Type",
    "x-ms-run-function-failed",
    "x-request-id",
    "x-ms-request-id",
    "x-ms-client-request-id",
)
RAISING_SCRIPT = """
def init():
    pass


def run(raw_data):
    raise RuntimeError("this scoring script always fails")
"""


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("parity-model")
    train_frame(_training_frame(), folder, max_iter=30)
    return folder


@pytest.fixture(scope="module")
def fraud_pair(start_pair, model_dir: Path):
    return start_pair(DEFAULT_ENTRY_SCRIPT, model_dir, KEY)


@pytest.fixture(scope="module")
def raising_pair(start_pair, model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    script = tmp_path_factory.mktemp("raising") / "raising_score.py"
    script.write_text(RAISING_SCRIPT)
    return start_pair(script, model_dir, KEY)


def _frame(rows: list[list[object]], key: str = "input_data") -> bytes:
    split = {"columns": FEATURES, "index": list(range(len(rows))), "data": rows}
    return json.dumps({key: split}).encode()


def _exchange(base: str, method: str, path: str, body: bytes | None, headers: dict) -> dict:
    response = requests.request(
        method, f"{base}{path}", data=body, headers={**AUTH, **headers}, timeout=30
    )
    try:
        content: Any = response.json()
    except ValueError:
        content = response.text
    seen = {h: response.headers.get(h) for h in COMPARED_HEADERS}
    if response.headers.get("x-request-id") and "x-request-id" not in headers:
        # generated ids differ; that both made one (and copied it where azmlinfsrv does) counts
        generated = seen["x-request-id"]
        seen = {h: ("<generated>" if v == generated else v) for h, v in seen.items()}
    return {
        "status": response.status_code,
        "body": content,
        "headers": seen,
        "timed": "x-ms-run-fn-exec-ms" in response.headers,
    }


def _same(pair, method: str, path: str, body: bytes | None = None, **headers: str) -> dict:
    microsoft, ours = pair
    theirs = _exchange(microsoft.url, method, path, body, headers)
    mine = _exchange(ours.url, method, path, body, headers)
    assert mine == theirs
    return theirs


def test_one_row(fraud_pair) -> None:
    answer = _same(fraud_pair, "POST", "/score", _frame([_row(400.0, "C")]), **JSON_TYPE)
    assert answer["status"] == 200 and answer["body"][0] == 1 and answer["timed"]


def test_several_rows(fraud_pair) -> None:
    rows = [_row(10.0, "W"), _row(400.0, "C"), _row(20.0, None)]
    answer = _same(fraud_pair, "POST", "/score", _frame(rows, "dataframe_split"), **JSON_TYPE)
    assert answer["status"] == 200 and len(answer["body"]) == 3


def test_malformed_json(fraud_pair) -> None:
    answer = _same(fraud_pair, "POST", "/score", b"{not json", **JSON_TYPE)
    assert answer["status"] == 500
    assert answer["headers"]["x-ms-run-function-failed"] == "True"


def test_empty_body(fraud_pair) -> None:
    assert _same(fraud_pair, "POST", "/score", b"", **JSON_TYPE)["status"] == 500


def test_non_utf8_body(fraud_pair) -> None:
    answer = _same(fraud_pair, "POST", "/score", b"\xff\xfe\x00{", **JSON_TYPE)
    assert answer["status"] == 400
    assert answer["body"]["message"].startswith("Input cannot be decoded as UTF-8")


def test_form_post_reaches_run_empty(fraud_pair) -> None:
    body = b"a=1&b=2"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _same(fraud_pair, "POST", "/score", body, **form)["status"] == 500


def test_script_exception(raising_pair) -> None:
    answer = _same(raising_pair, "POST", "/score", _frame([_row(1.0, "W")]), **JSON_TYPE)
    assert answer["status"] == 500
    assert answer["body"] == {
        "message": "An unexpected error occurred in scoring script. Check the logs for more info."
    }


def test_get_score_with_query_parameters(raising_pair) -> None:
    assert _same(raising_pair, "GET", "/score?a=1&b=x")["status"] == 500


@pytest.mark.parametrize("method", ["OPTIONS", "PUT"])
def test_other_methods(raising_pair, method: str) -> None:
    _same(raising_pair, method, "/score")


def test_unknown_route(raising_pair) -> None:
    assert _same(raising_pair, "GET", "/nope")["status"] == 404


def test_health(raising_pair) -> None:
    assert _same(raising_pair, "GET", "/")["body"] == "Healthy"


@pytest.mark.parametrize("query", ["", "?version=2", "?version=3", "?version=3.1", "?version=5"])
def test_swagger_for_a_script_without_samples(raising_pair, query: str) -> None:
    _same(raising_pair, "GET", f"/swagger.json{query}")


def test_request_ids(fraud_pair) -> None:
    body = _frame([_row(10.0, "W")])
    _same(fraud_pair, "POST", "/score", body, **JSON_TYPE, **{"x-request-id": "abc-1"})
    _same(fraud_pair, "POST", "/score", body, **JSON_TYPE, **{"x-ms-client-request-id": "c-2"})
    _same(fraud_pair, "POST", "/score", body, **JSON_TYPE, **{"x-ms-request-id": "legacy-3"})


@pytest.mark.parametrize("header", ["x-request-id", "x-ms-client-request-id"])
def test_long_request_ids(fraud_pair, header: str) -> None:
    answer = _same(fraud_pair, "GET", "/", **{header: "r" * 101})
    assert answer["status"] == 431
