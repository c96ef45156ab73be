"""The Azure-ML-endpoint look-alike: auth, routes, the run() contract, headers, and gunicorn."""

from __future__ import annotations

import io
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from flask.testing import FlaskClient

from emulator.ports import free_port_numbers
from model_server import score
from model_server.__main__ import DEFAULT_ENTRY_SCRIPT
from model_server.features import CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES
from model_server.server.app import create_app
from model_server.server.config import KEYS_ENV, MAX_REQUEST_BYTES, REQUEST_TOO_LARGE
from model_server.server.container import RUN_FAILED
from model_server.server.input_parsers import NOT_UTF8
from model_server.train import train_frame
from tests.servers import Server

PRIMARY, SECONDARY = "primary-key-123", "secondary-key-456"
REPO = Path(__file__).resolve().parents[2]


def _training_frame(n: int = 400, seed: int = 3) -> pd.DataFrame:
    """FEATURES plus target and time, with fraud tied to amount and product."""
    rng = np.random.default_rng(seed)
    fraud = rng.random(n) < 0.2
    frame = pd.DataFrame({name: rng.normal(50, 10, n) for name in NUMERIC_FEATURES})
    for name in CATEGORICAL_FEATURES:
        frame[name] = rng.choice(np.array(["a", "b", None], dtype=object), n)
    frame["TransactionAmt"] += 80 * fraud
    frame["ProductCD"] = np.where(fraud, "C", "W")
    frame["isFraud"] = fraud.astype(int)
    frame["TransactionDT"] = np.arange(n) * 60
    return frame


def _body(rows: list[list[object]], key: str = "input_data") -> dict[str, object]:
    return {key: {"columns": FEATURES, "index": list(range(len(rows))), "data": rows}}


def _row(amount: float, product: str | None) -> list[object]:
    values: dict[str, object] = dict.fromkeys(NUMERIC_FEATURES, 50.0)
    values.update(dict.fromkeys(CATEGORICAL_FEATURES, "a"))
    values.update({"TransactionAmt": amount, "ProductCD": product, "dist1": None})
    return [values[name] for name in FEATURES]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("azureml-model")
    train_frame(_training_frame(), folder, max_iter=30)
    return folder


@pytest.fixture
def client(model_dir: Path) -> FlaskClient:
    return create_app(DEFAULT_ENTRY_SCRIPT, model_dir, [PRIMARY, SECONDARY]).test_client()


def _auth(key: str = PRIMARY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_health_route(client: FlaskClient) -> None:
    response = client.get("/")
    assert (response.status_code, response.text) == (200, "Healthy")


def test_swagger_describes_the_scripts_samples(client: FlaskClient) -> None:
    response = client.get("/swagger.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["swagger"] == "2.0"
    service_input = document["definitions"]["ServiceInput"]
    assert service_input["example"]["input_data"]["columns"] == FEATURES
    assert service_input["properties"]["input_data"]["type"] == "object"
    output = document["definitions"]["ServiceOutput"]
    assert output["type"] == "array" and output["example"] == score.output_sample
    for version, openapi in [("3", "3.0.3"), ("3.0", "3.0.3"), ("3.1", "3.1.0")]:
        document = client.get(f"/swagger.json?version={version}").get_json()
        assert document["openapi"] == openapi
        assert document["components"]["schemas"]["ServiceOutput"]["example"] == [0, 0.0123]


def test_swagger_without_samples_is_generic_and_bad_versions_are_404(
    tmp_path: Path, model_dir: Path
) -> None:
    script = tmp_path / "plain.py"
    script.write_text("def init():\n    pass\n\ndef run(raw_data):\n    return [1]\n")
    client = create_app(script, model_dir, [PRIMARY]).test_client()
    document = client.get("/swagger.json").get_json()
    assert document["definitions"]["ServiceInput"] == {"type": "object", "example": {}}
    response = client.get("/swagger.json?version=5")
    assert response.status_code == 404
    assert response.get_json() == {
        "message": "Swagger version [5] is not valid. Supported versions: [2, 3, 3.1]."
    }


@pytest.mark.parametrize("headers", [{}, _auth("wrong"), {"Authorization": PRIMARY}])
def test_score_rejects_missing_or_wrong_key(client: FlaskClient, headers: dict[str, str]) -> None:
    response = client.post("/score", json=_body([_row(10.0, "W")]), headers=headers)
    assert response.status_code == 401
    assert response.is_json and "message" in response.get_json()


@pytest.mark.parametrize("key", [PRIMARY, SECONDARY])
def test_score_one_row_returns_label_and_probability(client: FlaskClient, key: str) -> None:
    response = client.post("/score", json=_body([_row(10.0, "W")]), headers=_auth(key))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["x-ms-run-function-failed"] == "False"
    assert float(response.headers["x-ms-run-fn-exec-ms"]) >= 0
    label, probability = response.get_json()
    assert type(label) is int and type(probability) is float and 0 <= probability <= 1


def test_score_three_rows_returns_three_pairs(client: FlaskClient) -> None:
    rows = [_row(10.0, "W"), _row(400.0, "C"), _row(20.0, "W")]
    response = client.post("/score", json=_body(rows, "dataframe_split"), headers=_auth())
    pairs = response.get_json()
    assert len(pairs) == 3 and all(len(pair) == 2 for pair in pairs)
    assert [label for label, _ in pairs] == [0, 1, 0]
    assert pairs[1][1] > 0.5 > pairs[0][1]


def test_run_error_gives_500_with_the_azure_message(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.post("/score", data="{not json", headers=_auth())
    assert response.status_code == 500
    assert response.get_json() == {"message": RUN_FAILED}
    assert response.headers["x-ms-run-function-failed"] == "True"
    assert "Traceback" in caplog.text and "not valid JSON" in caplog.text
    assert PRIMARY not in caplog.text


def test_non_utf8_body_is_400(client: FlaskClient) -> None:
    response = client.post("/score", data=b"\xff\xfe\xfa", headers=_auth())
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert message.startswith(f"{NOT_UTF8}: 'utf-8' codec can't decode byte 0xff in position 0")


def test_request_ids_are_echoed_or_generated(client: FlaskClient) -> None:
    ids = {"x-request-id": "req-1", "x-ms-client-request-id": "client-9"}
    response = client.post("/score", json=_body([_row(1.0, "W")]), headers={**_auth(), **ids})
    assert response.headers["x-request-id"] == "req-1"
    # azmlinfsrv 1.5.1: the legacy x-ms-request-id carries the client id when there is one
    assert response.headers["x-ms-request-id"] == "client-9"
    assert response.headers["x-ms-client-request-id"] == "client-9"
    generated = client.post("/score", json=_body([_row(1.0, "W")]), headers=_auth())
    assert len(generated.headers["x-request-id"]) == 36
    assert generated.headers["x-ms-request-id"] == generated.headers["x-request-id"]
    assert "x-ms-client-request-id" not in generated.headers
    legacy = client.get("/", headers={"x-ms-request-id": "old-style"})
    assert legacy.headers["x-ms-client-request-id"] == "old-style"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("x-request-id", "x-request-id must not exceed 100 characters"),
        (
            "x-ms-client-request-id",
            "x-ms-request-id and x-ms-client-request-id must not exceed 100 characters",
        ),
    ],
)
def test_long_request_ids_are_431(client: FlaskClient, header: str, message: str) -> None:
    response = client.get("/", headers={header: "a" * 101})
    assert response.status_code == 431
    assert response.get_json() == {"message": message}


def test_get_score_passes_query_parameters_as_json(tmp_path: Path, model_dir: Path) -> None:
    script = tmp_path / "echo.py"
    script.write_text("def init():\n    pass\n\ndef run(raw_data):\n    return raw_data\n")
    client = create_app(script, model_dir, [PRIMARY]).test_client()
    response = client.get("/score?a=1&b=[1,2]&c=x&c=y", headers=_auth())
    assert json.loads(response.get_json()) == {"a": 1, "b": [1, 2], "c": ["x", "y"]}
    assert client.options("/score", headers=_auth()).status_code == 200
    assert client.put("/score", headers=_auth()).get_json() == {
        "message": "The method is not allowed for the requested URL."
    }
    # like Flask's request.data in azmlinfsrv, a form post reaches run() empty
    form = client.post("/score", data={"k": "v"}, headers=_auth())
    assert form.get_json() == ""


def test_init_once_and_request_headers_reach_run_without_the_key(
    tmp_path: Path, model_dir: Path
) -> None:
    script = tmp_path / "echo_score.py"
    script.write_text(
        "import os\n"
        "inits = []\n\n"
        "def init():\n    inits.append(os.environ['AZUREML_MODEL_DIR'])\n\n"
        "def run(raw_data, request_headers):\n"
        "    return {'body': raw_data, 'headers': request_headers, 'inits': inits}\n"
    )
    client = create_app(script, model_dir, [PRIMARY]).test_client()
    client.post("/score", data="first", headers=_auth())
    response = client.post("/score", data="hello", headers={**_auth(), "X-Custom": "1"})
    result = response.get_json()
    assert result["body"] == "hello" and result["headers"]["X-Custom"] == "1"
    assert result["inits"] == [str(model_dir)]
    assert PRIMARY not in json.dumps(result)


def test_run_rejects_payload_missing_columns(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_dir))
    score.init()
    body = _body([_row(1.0, "W")])
    body["input_data"]["columns"] = [c if c != "card4" else "card_4" for c in FEATURES]
    with pytest.raises(ValueError, match="card4"):
        score.run(json.dumps(body))
    with pytest.raises(ValueError, match="input_data"):
        score.run(json.dumps({"data": []}))


def test_gunicorn_server_scores_over_http(model_dir: Path) -> None:
    [port] = free_port_numbers(1)
    env = {**os.environ, KEYS_ENV: f"{PRIMARY},{SECONDARY}"}
    command = [sys.executable, "-m", "model_server", "--model-dir", str(model_dir)]
    server = Server("model server", [*command, "--port", str(port), "--threads", "2"], port, env)
    url = server.url
    try:
        server.wait()
        response = requests.post(
            f"{url}/score", json=_body([_row(400.0, "C")]), headers=_auth(SECONDARY), timeout=10
        )
        assert response.status_code == 200
        assert response.json()[0] == 1
        assert requests.post(f"{url}/score", json={}, timeout=10).status_code == 401
    finally:
        server.stop()
    output = server.output()
    server.close()
    assert PRIMARY not in output and SECONDARY not in output


def test_a_body_over_the_request_limit_is_413_before_run(client: FlaskClient) -> None:
    too_long = {"CONTENT_LENGTH": str(MAX_REQUEST_BYTES + 1)}
    response = client.post(
        "/score",
        data=b"{}",
        headers={**_auth(), "x-request-id": "big-1"},
        environ_overrides=too_long,
    )
    assert response.status_code == 413
    assert response.get_json() == {"message": REQUEST_TOO_LARGE}
    assert response.headers["x-ms-run-function-failed"] == "False"
    assert response.headers["x-request-id"] == "big-1"
    # a chunked body (no Content-Length) is cut off at the limit too
    chunked = {"wsgi.input_terminated": True}
    stream = io.BytesIO(b" " * (MAX_REQUEST_BYTES + 1))
    response = client.post(
        "/score", input_stream=stream, headers=_auth(), environ_overrides=chunked
    )
    assert response.status_code == 413 and stream.tell() <= MAX_REQUEST_BYTES + 1
    at_limit = client.post("/score", data=b" " * MAX_REQUEST_BYTES, headers=_auth())
    assert at_limit.status_code == 500  # read whole and handed to run(), which rejects it
