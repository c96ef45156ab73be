"""A local stand-in for an Azure ML managed online endpoint serving one scoring script.

It combines the two layers Confluent's ML_PREDICT talks to in Azure: the endpoint front end
(Bearer key check) and azureml-inference-server-http (routes, `init()`/`run()` contract, JSON
serialisation, `x-ms-*` headers, error bodies), so a score.py that works here works there.
"""

from __future__ import annotations

import hmac
import importlib.util
import inspect
import json
import logging
import os
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType

from flask import Flask, Response, request

log = logging.getLogger(__name__)

RUN_FAILED = "An unexpected error occurred in scoring script. Check the logs for more info."
NOT_UTF8 = "Input cannot be decoded as UTF-8"
INTERNAL_ERROR = "An unexpected internal error occurred. Check the logs for more info."
MAX_REQUEST_ID_LENGTH = 100
_REQUEST_ID = "x-request-id"
_CLIENT_REQUEST_ID = "x-ms-client-request-id"


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers or {}, mimetype="application/json")


def load_entry_script(entry_script: Path) -> ModuleType:
    """Import the scoring script by file path; check `run` takes what Azure passes it."""
    spec = importlib.util.spec_from_file_location("azureml_entry_script", entry_script)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import scoring script {entry_script}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise AttributeError(f"{entry_script} does not define {name}()")
    unsupported = {
        inspect.Parameter.VAR_POSITIONAL,
        inspect.Parameter.VAR_KEYWORD,
        inspect.Parameter.POSITIONAL_ONLY,
    }
    if any(p.kind in unsupported for p in inspect.signature(module.run).parameters.values()):
        raise TypeError("run() may not take *args, **kwargs or positional-only parameters")
    return module


def _authorized(header: str | None, api_keys: list[str]) -> bool:
    """Constant-time match of `Bearer <key>` against every accepted key."""
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    matches = [hmac.compare_digest(token.encode(), key.encode()) for key in api_keys]
    return any(matches)


def _forwarded_headers() -> dict[str, str]:
    """The request headers for `run(request_headers=...)`, minus the key (scripts may log them)."""
    return {k: v for k, v in request.headers.items() if k.lower() != "authorization"}


def create_app(entry_script: Path, model_dir: Path, api_keys: list[str]) -> Flask:
    """Import the scoring script, run its `init()` once (in this process) and serve it."""
    keys = [k for k in api_keys if k]
    if not keys:
        raise ValueError("at least one API key is required")
    os.environ["AZUREML_MODEL_DIR"] = str(model_dir)
    os.environ["AZUREML_ENTRY_SCRIPT"] = str(entry_script)
    script = load_entry_script(entry_script)
    script.init()
    passes_headers = "request_headers" in inspect.signature(script.run).parameters

    app = Flask(__name__)

    @app.get("/")
    def health() -> Response:
        return Response("Healthy", 200, mimetype="text/plain")

    @app.get("/swagger.json")
    def swagger() -> Response:
        return _json({"message": "Swagger not found. The scoring script defines no schema."}, 404)

    @app.post("/score")
    def score() -> Response:
        client_request_id = request.headers.get(_CLIENT_REQUEST_ID)
        request_id = request.headers.get(_REQUEST_ID) or str(uuid.uuid4())
        ids = {_REQUEST_ID: request_id, "x-ms-request-id": request_id}
        if client_request_id:
            ids[_CLIENT_REQUEST_ID] = client_request_id
        if len(request_id) > MAX_REQUEST_ID_LENGTH:
            message = f"x-request-id longer than {MAX_REQUEST_ID_LENGTH} characters"
            return _json({"message": message}, 431)
        if not _authorized(request.headers.get("Authorization"), keys):
            headers = {**ids, "WWW-Authenticate": "Bearer"}
            return _json({"message": "Missing or invalid API key."}, 401, headers)
        try:
            raw_data = request.get_data().decode("utf-8")
        except UnicodeDecodeError:
            return _json({"message": NOT_UTF8}, 400, ids)

        started = time.perf_counter()
        try:
            if passes_headers:
                result = script.run(raw_data, request_headers=_forwarded_headers())
            else:
                result = script.run(raw_data)
        except Exception:
            log.exception("run() failed for request %s", request_id)
            return _json({"message": RUN_FAILED}, 500, {**ids, "x-ms-run-function-failed": "True"})
        elapsed_ms = (time.perf_counter() - started) * 1000
        try:
            body = json.dumps(result)
        except (TypeError, ValueError):
            log.exception("run() returned a value json.dumps cannot encode (numpy? use .tolist())")
            return _json({"message": INTERNAL_ERROR}, 500, ids)
        headers = {
            **ids,
            "x-ms-run-function-failed": "False",
            "x-ms-run-fn-exec-ms": f"{elapsed_ms:.3f}",
        }
        return Response(body, 200, headers, mimetype="application/json")

    return app
