"""A local stand-in for an Azure ML managed online endpoint serving one scoring script.

Two layers, as in Azure:
- the *container*: what azureml-inference-server-http 1.5.1 does with an undecorated
  `run(raw_data)` script (routes, `init()`/`run()` contract, JSON serialisation, `x-ms-*`
  headers, error bodies, swagger), checked against Microsoft's server by
  tests/contract/test_azureml_parity.py;
- the *endpoint front end*: the Bearer key check and, with `EndpointSettings` (the
  `--endpoint-mode` flag), what a managed online endpoint adds: any non-200 from the container
  becomes 424 with `ms-azureml-model-error-*` headers, `request_timeout_ms` gives 408, and more
  than 2 x `max_concurrent_requests_per_instance` requests pending gives 429.
"""

from __future__ import annotations

import hmac
import importlib.util
import inspect
import json
import logging
import os
import sys
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

RUN_FAILED = "An unexpected error occurred in scoring script. Check the logs for more info."
NOT_UTF8 = "Input cannot be decoded as UTF-8"
INTERNAL_ERROR = "An unexpected internal error occurred. Check the logs for more info."
MAX_REQUEST_ID_LENGTH = 100
SWAGGER_VERSIONS = {"2": "2", "2.0": "2", "3": "3", "3.0": "3", "3.1": "3.1"}
SERVICE_NAME, SERVICE_VERSION = "ML service", "1.0"
# Module attributes a scoring script may set (at import or in init()) to describe its API.
INPUT_SAMPLE, OUTPUT_SAMPLE = "input_sample", "output_sample"
# Front-end answers in --endpoint-mode (Azure's bodies are not documented; these are ours).
MODEL_ERROR_STATUS = "ms-azureml-model-error-statuscode"
MODEL_ERROR_REASON = "ms-azureml-model-error-reason"
_REQUEST_ID = "x-request-id"
_LEGACY_REQUEST_ID = "x-ms-request-id"
_CLIENT_REQUEST_ID = "x-ms-client-request-id"
_FAILED = "x-ms-run-function-failed"
_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _json(body: object, status: int, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status, mimetype="application/json")
    response.headers[_FAILED] = "False"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


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


# ---------------------------------------------------------------- swagger


def json_schema(sample: Any) -> dict[str, Any]:
    """A JSON schema describing a sample value (objects, arrays, scalars; null is untyped)."""
    if isinstance(sample, bool):
        return {"type": "boolean"}
    if isinstance(sample, int):
        return {"type": "integer", "format": "int64"}
    if isinstance(sample, float):
        return {"type": "number", "format": "double"}
    if isinstance(sample, str):
        return {"type": "string"}
    if isinstance(sample, dict):
        properties = {str(k): json_schema(v) for k, v in sample.items()}
        return {"type": "object", "required": list(properties), "properties": properties}
    if isinstance(sample, (list, tuple)):
        items = [v for v in sample if v is not None]
        return {"type": "array", "items": json_schema(items[0]) if items else {}}
    return {}


def _with_example(sample: Any) -> dict[str, Any]:
    if sample is None:
        return {"type": "object", "example": {}}
    return {**json_schema(sample), "example": sample}


def swagger_document(version: str, input_sample: Any = None, output_sample: Any = None) -> dict:
    """Swagger 2.0 or OpenAPI 3.0/3.1 for `/`, `/score`, `/swagger.json` (azmlinfsrv's layout)."""
    service_input, service_output = _with_example(input_sample), _with_example(output_sample)
    error = {"type": "object", "properties": {"message": {"type": "string"}}}
    info = {
        "title": SERVICE_NAME,
        "description": f"API specification for the Azure Machine Learning service {SERVICE_NAME}",
        "version": SERVICE_VERSION,
    }
    bearer = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "For example: Bearer abc123",
    }
    failed = "The service failed to execute due to an error."
    healthy = (
        "If service is up and running, this response will be returned with the content 'Healthy'"
    )
    scored = (
        "The service processed the input correctly and provided a result prediction, if applicable."
    )
    payload = "The input payload for executing the real-time machine learning service."
    if version == "2":
        ref = "#/definitions/"
        return {
            "swagger": "2.0",
            "info": info,
            "schemes": ["https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {"Bearer": bearer},
            "paths": {
                "/": {
                    "get": {
                        "operationId": "ServiceHealthCheck",
                        "description": "Simple health check endpoint to ensure the service is up"
                        " at any given point.",
                        "responses": {
                            "200": {
                                "description": healthy,
                                "schema": {"type": "string"},
                                "examples": {"application/json": "Healthy"},
                            },
                            "default": {
                                "description": failed,
                                "schema": {"$ref": ref + "ErrorResponse"},
                            },
                        },
                    }
                },
                "/score": {
                    "post": {
                        "operationId": "RunMLService",
                        "description": "Run web service's model and get the prediction output",
                        "security": [{"Bearer": []}],
                        "parameters": [
                            {
                                "name": "serviceInputPayload",
                                "in": "body",
                                "description": payload,
                                "schema": {"$ref": ref + "ServiceInput"},
                            }
                        ],
                        "responses": {
                            "200": {
                                "description": scored,
                                "schema": {"$ref": ref + "ServiceOutput"},
                            },
                            "default": {
                                "description": failed,
                                "schema": {"$ref": ref + "ErrorResponse"},
                            },
                        },
                    }
                },
                "/swagger.json": {
                    "get": {
                        "operationId": "GetSwaggerSpec",
                        "description": "Get the Swagger specification.",
                        "parameters": [
                            {
                                "name": "version",
                                "in": "query",
                                "required": False,
                                "type": "integer",
                                "enum": [2, 3],
                            }
                        ],
                        "responses": {
                            "200": {
                                "description": "The Swagger specification.",
                                "schema": {"type": "string"},
                            },
                            "default": {
                                "description": failed,
                                "schema": {"$ref": ref + "ErrorResponse"},
                            },
                        },
                    }
                },
            },
            "definitions": {
                "ServiceInput": service_input,
                "ServiceOutput": service_output,
                "ErrorResponse": error,
            },
        }
    ref = "#/components/schemas/"

    def content(schema: dict[str, Any], mimetype: str = "application/json") -> dict:
        return {mimetype: {"schema": schema}}

    error_response = {"description": failed, "content": content({"$ref": ref + "ErrorResponse"})}
    return {
        "openapi": "3.1.0" if version == "3.1" else "3.0.3",
        "info": info,
        "security": [{"Bearer": []}],
        "paths": {
            "/": {
                "get": {
                    "operationId": "ServiceHealthCheck",
                    "description": "Simple health check endpoint to ensure the service is up at"
                    " any given point.",
                    "responses": {
                        "200": {
                            "description": healthy,
                            "content": content(
                                {"type": "string", "example": "Healthy"}, "text/plain"
                            ),
                        },
                        "default": error_response,
                    },
                }
            },
            "/score": {
                "post": {
                    "operationId": "RunMLService",
                    "description": "Run web service's model and get the prediction output",
                    "security": [{"Bearer": []}],
                    "requestBody": {
                        "description": payload,
                        "content": content({"$ref": ref + "ServiceInput"}),
                    },
                    "responses": {
                        "200": {
                            "description": scored,
                            "content": content({"$ref": ref + "ServiceOutput"}),
                        },
                        "default": error_response,
                    },
                }
            },
            "/swagger.json": {
                "get": {
                    "operationId": "GetSwaggerSpec",
                    "description": "Get the Swagger specification.",
                    "parameters": [
                        {
                            "name": "version",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "integer", "enum": [2, 3]},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The Swagger specification.",
                            "content": content({"type": "string"}, "text/plain"),
                        },
                        "default": error_response,
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "ServiceInput": service_input,
                "ServiceOutput": service_output,
                "ErrorResponse": error,
            },
            "securitySchemes": {"Bearer": bearer},
        },
    }


# ---------------------------------------------------------------- the container


@dataclass(frozen=True)
class ScoreRequest:
    """What `/score` got, detached from Flask's request context (so a worker thread can run it)."""

    method: str
    body: bytes
    args: dict[str, list[str]]
    headers: dict[str, str]
    request_id: str


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


class ScoringContainer:
    """azureml-inference-server-http's handling of an undecorated `run(raw_data)` script."""

    def __init__(self, script: ModuleType) -> None:
        self.script = script
        self.passes_headers = "request_headers" in inspect.signature(script.run).parameters

    def swagger(self, version: str) -> dict:
        return swagger_document(
            version,
            getattr(self.script, INPUT_SAMPLE, None),
            getattr(self.script, OUTPUT_SAMPLE, None),
        )

    def score(self, req: ScoreRequest) -> Response:
        if req.method == "GET":
            parsed = {
                k: _json_or_text(v[0]) if len(v) == 1 else [_json_or_text(x) for x in v]
                for k, v in req.args.items()
            }
            raw_data = json.dumps(parsed)
        else:
            try:
                raw_data = req.body.decode("utf-8")
            except UnicodeDecodeError as error:
                return _json({"message": f"{NOT_UTF8}: {error}"}, 400)
        started = time.perf_counter()
        try:
            if self.passes_headers:
                result = self.script.run(raw_data, request_headers=req.headers)
            else:
                result = self.script.run(raw_data)
        except Exception:
            log.exception("run() failed for request %s", req.request_id)
            return _json({"message": RUN_FAILED}, 500, {_FAILED: "True"})
        elapsed = f"{(time.perf_counter() - started) * 1000:.3f}"
        if isinstance(result, Response):
            if result.status_code >= 500:
                result.headers[_FAILED] = "True"
            result.headers["x-ms-run-fn-exec-ms"] = elapsed
            return result
        try:
            body = json.dumps(result)
        except (TypeError, ValueError):
            log.exception("run() returned a value json.dumps cannot encode (numpy? use .tolist())")
            return _json({"message": INTERNAL_ERROR}, 500)
        response = Response(body, 200, mimetype="application/json")
        response.headers[_FAILED] = "False"
        response.headers["x-ms-run-fn-exec-ms"] = elapsed
        return response


# ---------------------------------------------------------------- the endpoint front end


@dataclass(frozen=True)
class EndpointSettings:
    """A managed online deployment's `request_settings`, for one instance (one process)."""

    request_timeout_ms: int = 5000
    max_concurrent_requests_per_instance: int = 1

    @property
    def max_pending(self) -> int:
        """Requests accepted at once (running + waiting) before 429, as Azure documents."""
        return 2 * self.max_concurrent_requests_per_instance


@dataclass
class _FrontEnd:
    settings: EndpointSettings
    container: ScoringContainer
    pending: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    pool: ThreadPoolExecutor | None = None

    def __post_init__(self) -> None:
        self.pool = ThreadPoolExecutor(
            self.settings.max_concurrent_requests_per_instance, thread_name_prefix="model"
        )

    def _release(self, _: Future) -> None:
        with self.lock:
            self.pending -= 1

    def score(self, req: ScoreRequest) -> Response:
        with self.lock:
            if self.pending >= self.settings.max_pending:
                limit = self.settings.max_pending
                message = f"Too many pending requests: at most {limit} are accepted at once."
                return _json({"message": message}, 429)
            self.pending += 1
        assert self.pool is not None
        future = self.pool.submit(self.container.score, req)
        # The model keeps its slot until run() really ends, even after a 408 (as in Azure).
        future.add_done_callback(self._release)
        timeout_ms = self.settings.request_timeout_ms
        try:
            answer = future.result(timeout=timeout_ms / 1000)
        except FutureTimeout:
            future.cancel()  # frees the slot at once if run() has not started yet
            log.warning("request %s timed out after %d ms", req.request_id, timeout_ms)
            message = f"Request timed out after {timeout_ms} ms (request_timeout_ms)."
            return _json({"message": message}, 408)
        if answer.status_code == 200:
            return answer
        reason = answer.status
        if answer.mimetype == "application/json":
            message = (_json_or_text(answer.get_data(as_text=True)) or {}) if answer.data else {}
            if isinstance(message, dict) and isinstance(message.get("message"), str):
                reason = message["message"]
        answer.headers[MODEL_ERROR_STATUS] = str(answer.status_code)
        answer.headers[MODEL_ERROR_REASON] = reason.encode("ascii", "replace").decode()
        answer.status_code = 424
        return answer


# ---------------------------------------------------------------- the app


def create_app(
    entry_script: Path,
    model_dir: Path,
    api_keys: list[str],
    *,
    endpoint: EndpointSettings | None = None,
) -> Flask:
    """Import the scoring script, run its `init()` once (in this process) and serve it."""
    keys = [k for k in api_keys if k]
    if not keys:
        raise ValueError("at least one API key is required")
    os.environ["AZUREML_MODEL_DIR"] = str(model_dir)
    os.environ["AZUREML_ENTRY_SCRIPT"] = str(entry_script)
    script = load_entry_script(entry_script)
    script.init()
    container = ScoringContainer(script)
    front_end = _FrontEnd(endpoint, container) if endpoint is not None else None

    app = Flask(__name__)

    @app.before_request
    def request_ids() -> Response | None:
        """azmlinfsrv's ids: x-request-id echoed or made; legacy and client ids; 431 if long."""
        g.ids = {}
        if request.url_rule is None:  # 404/405: azmlinfsrv's blueprint hooks do not run either
            return None
        request_id = request.headers.get(_REQUEST_ID) or str(uuid.uuid4())
        if len(request_id) > MAX_REQUEST_ID_LENGTH:
            message = f"x-request-id must not exceed {MAX_REQUEST_ID_LENGTH} characters"
            return _json({"message": message}, 431)
        legacy = request.headers.get(_LEGACY_REQUEST_ID, "")
        client = request.headers.get(_CLIENT_REQUEST_ID, "")
        if legacy:
            client = client or legacy
        else:
            legacy = client or request_id
        g.ids[_REQUEST_ID] = request_id
        if len(legacy) > MAX_REQUEST_ID_LENGTH or len(client) > MAX_REQUEST_ID_LENGTH:
            message = (
                f"x-ms-request-id and x-ms-client-request-id must not exceed "
                f"{MAX_REQUEST_ID_LENGTH} characters"
            )
            return _json({"message": message}, 431)
        g.ids[_LEGACY_REQUEST_ID] = legacy
        if client:
            g.ids[_CLIENT_REQUEST_ID] = client
        return None

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        """404/405 and friends as `{"message": ...}` JSON, as azmlinfsrv answers them."""
        return _json({"message": error.description}, error.code or 500)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Response:
        log.exception("unhandled error")
        return _json({"message": INTERNAL_ERROR}, 500)

    @app.after_request
    def add_ids(response: Response) -> Response:
        for key, value in getattr(g, "ids", {}).items():
            response.headers[key] = value
        return response

    @app.get("/")
    def health() -> Response:
        return Response("Healthy", 200, mimetype="text/html")

    @app.get("/swagger.json")
    def swagger() -> Response:
        asked = request.args.get("version", "2")
        version = SWAGGER_VERSIONS.get(asked)
        if version is None:
            message = f"Swagger version [{asked}] is not valid. Supported versions: [2, 3, 3.1]."
            return _json({"message": message}, 404)
        return _json(container.swagger(version), 200)

    @app.route("/score", methods=["GET", "POST", "OPTIONS"], provide_automatic_options=False)
    def score() -> Response:
        if request.method == "OPTIONS":
            # azmlinfsrv answers a preflight 200 (CORS headers only when it is configured).
            response = Response("", 200)
            response.headers[_FAILED] = "False"
            return response
        if not _authorized(request.headers.get("Authorization"), keys):
            return _json(
                {"message": "Missing or invalid API key."}, 401, {"WWW-Authenticate": "Bearer"}
            )
        # Like Flask's request.data in azmlinfsrv: a form post's body is consumed as the form.
        body = b"" if request.mimetype in _FORM_TYPES else request.get_data()
        req = ScoreRequest(
            method=request.method,
            body=body,
            args={k: request.args.getlist(k) for k in request.args},
            # run(request_headers=...) never sees the key (scripts may log their headers).
            headers={k: v for k, v in request.headers.items() if k.lower() != "authorization"},
            request_id=g.ids[_REQUEST_ID],
        )
        if front_end is not None:
            return front_end.score(req)
        return container.score(req)

    return app
