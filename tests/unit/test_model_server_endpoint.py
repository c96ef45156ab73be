"""`--endpoint-mode`: the managed online endpoint's 424 / 408 / 429 in front of the script."""

from __future__ import annotations

import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from emulator.ports import free_port_numbers
from model_server.__main__ import _parse, endpoint_settings
from model_server.server.app import create_app
from model_server.server.config import KEYS_ENV, EndpointSettings
from model_server.server.container import RUN_FAILED
from model_server.server.endpoint import MODEL_ERROR_REASON, MODEL_ERROR_STATUS
from model_server.server.input_parsers import NOT_UTF8
from tests.servers import Server

KEY = "endpoint-key-1"
REPO = Path(__file__).resolve().parents[2]
AUTH = {"Authorization": f"Bearer {KEY}"}

# run("sleep:S") sleeps S seconds; run("fail") raises; anything else is echoed.
SLOW_SCRIPT = """
import time

def init():
    pass

def run(raw_data):
    if raw_data == "fail":
        raise ValueError("scoring failed on purpose")
    if raw_data.startswith("sleep:"):
        time.sleep(float(raw_data[6:]))
        return "slept"
    return [raw_data]
"""


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "slow_score.py"
    path.write_text(SLOW_SCRIPT)
    return path


def _client(script: Path, tmp_path: Path, **settings: int) -> FlaskClient:
    return create_app(script, tmp_path, [KEY], endpoint=EndpointSettings(**settings)).test_client()


def test_success_and_auth_pass_through(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path)
    response = client.post("/score", data="hello", headers=AUTH)
    assert (response.status_code, response.get_json()) == (200, ["hello"])
    assert MODEL_ERROR_STATUS not in response.headers
    assert client.post("/score", data="hello").status_code == 401


def test_script_failure_is_424_with_model_error_headers(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path)
    response = client.post("/score", data="fail", headers=AUTH)
    assert response.status_code == 424
    assert response.headers[MODEL_ERROR_STATUS] == "500"
    assert response.headers[MODEL_ERROR_REASON] == RUN_FAILED
    assert response.get_json() == {"message": RUN_FAILED}
    assert response.headers["x-ms-run-function-failed"] == "True"


def test_container_400_is_also_424(script: Path, tmp_path: Path) -> None:
    response = _client(script, tmp_path).post("/score", data=b"\xff", headers=AUTH)
    assert response.status_code == 424
    assert response.headers[MODEL_ERROR_STATUS] == "400"
    assert response.headers[MODEL_ERROR_REASON].startswith(NOT_UTF8)


def test_without_endpoint_mode_the_container_codes_show(script: Path, tmp_path: Path) -> None:
    client = create_app(script, tmp_path, [KEY]).test_client()
    assert client.post("/score", data="fail", headers=AUTH).status_code == 500
    assert client.post("/score", data="sleep:0.3", headers=AUTH).status_code == 200


def test_slow_request_is_408(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path, request_timeout_ms=200)
    started = time.monotonic()
    response = client.post("/score", data="sleep:1.0", headers=AUTH)
    assert response.status_code == 408
    assert time.monotonic() - started < 0.8
    assert "200 ms" in response.get_json()["message"]
    assert MODEL_ERROR_STATUS not in response.headers


def test_waiting_for_a_busy_model_counts_toward_the_timeout(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path, request_timeout_ms=400)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(client.post, "/score", data="sleep:0.3", headers=AUTH)
        time.sleep(0.1)
        quick = pool.submit(client.post, "/score", data="quick", headers=AUTH)
        assert slow.result().status_code == 200
        assert quick.result().status_code == 200  # waited ~0.2 s for the model, within 0.4 s
    blocked = _client(script, tmp_path, request_timeout_ms=300)
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(blocked.post, "/score", data="sleep:1.0", headers=AUTH)
        time.sleep(0.1)
        quick = pool.submit(blocked.post, "/score", data="quick", headers=AUTH)
        assert quick.result().status_code == 408
        assert slow.result().status_code == 408


def _concurrent_codes(client: FlaskClient, slow: int, extra: int) -> list[int]:
    """`slow` requests sleeping 0.8 s, then (once they are in) `extra` quick ones."""
    with ThreadPoolExecutor(slow + extra) as pool:
        first = [
            pool.submit(client.post, "/score", data="sleep:0.8", headers=AUTH) for _ in range(slow)
        ]
        time.sleep(0.2)
        rest = [pool.submit(client.post, "/score", data="q", headers=AUTH) for _ in range(extra)]
        return [f.result().status_code for f in first + rest]


def test_more_than_twice_max_concurrent_pending_is_429(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path, max_concurrent_requests_per_instance=1)
    codes = _concurrent_codes(client, slow=2, extra=1)
    assert codes == [200, 200, 429]
    # and once they are done the endpoint takes requests again
    assert client.post("/score", data="again", headers=AUTH).status_code == 200


def test_the_concurrency_limit_is_configurable(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path, max_concurrent_requests_per_instance=2)
    codes = _concurrent_codes(client, slow=2, extra=3)
    assert codes[:2] == [200, 200]
    assert sorted(codes[2:]) == [200, 200, 429]


def test_429_body_is_json(script: Path, tmp_path: Path) -> None:
    client = _client(script, tmp_path)
    with ThreadPoolExecutor(3) as pool:
        busy = [pool.submit(client.post, "/score", data="sleep:0.5", headers=AUTH) for _ in "ab"]
        time.sleep(0.15)
        response = client.post("/score", data="q", headers=AUTH)
        for future in busy:
            future.result()
    assert response.status_code == 429
    assert "Too many pending requests" in response.get_json()["message"]


def test_command_line_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEYS_ENV, KEY)
    base = ["--model-dir", "/tmp/m"]
    assert endpoint_settings(_parse(base)) is None
    assert endpoint_settings(_parse([*base, "--endpoint-mode"])) == EndpointSettings(5000, 1)
    args = _parse(
        [*base, "--endpoint-mode", "--request-timeout-ms", "900", "--max-concurrent-requests", "4"]
    )
    settings = endpoint_settings(args)
    assert settings == EndpointSettings(900, 4) and settings.max_pending == 8
    with pytest.raises(SystemExit):
        _parse([*base, "--max-concurrent-requests", "0"])


def test_gunicorn_endpoint_mode_answers_429_instead_of_queueing(script: Path) -> None:
    """--threads 1 is raised so the third request is seen (and refused) while two are pending."""
    [port] = free_port_numbers(1)
    server = Server(
        "model server",
        [
            sys.executable,
            "-m",
            "model_server",
            "--entry-script",
            str(script),
            "--model-dir",
            str(script.parent),
            "--port",
            str(port),
            "--threads",
            "1",
            "--endpoint-mode",
            "--request-timeout-ms",
            "3000",
        ],
        port,
        {**os.environ, KEYS_ENV: KEY},
    )
    url = server.url
    try:
        server.wait()
        codes: list[int] = []
        lock = threading.Lock()

        def post(data: str) -> None:
            code = requests.post(f"{url}/score", data=data, headers=AUTH, timeout=10).status_code
            with lock:
                codes.append(code)

        slow = [threading.Thread(target=post, args=("sleep:1.0",)) for _ in range(2)]
        for thread in slow:
            thread.start()
        time.sleep(0.3)
        post("quick")
        for thread in slow:
            thread.join()
        assert sorted(codes) == [200, 200, 429]
        failed = requests.post(f"{url}/score", data="fail", headers=AUTH, timeout=10)
        assert failed.status_code == 424 and failed.headers[MODEL_ERROR_STATUS] == "500"
    finally:
        server.close()
